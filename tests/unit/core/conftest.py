import pytest


@pytest.fixture(autouse=True)
def _chinese_default(chinese_default):
    """The locale tests check the product's default language, zh_CN."""
