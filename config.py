"""Configuration classes, read from environment variables.

`config_from_env()` picks the class named by HUIZHONG_ENV (development | testing | production);
every value can be overridden by an environment variable of the same name.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    text = value.strip().replace("_", "")
    if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()):
        raise RuntimeError(f"Configuration refused: {name} must be a whole number, not {value!r}")
    return int(text)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    ENV_NAME = "base"
    # No key lives in the source: development reads (or on first use writes) a random key in
    # instance/secret_key (see instance_secret_key); production must set SECRET_KEY.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'huizhong.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False
    # A pooled PostgreSQL connection idle longer than this is tested before use (0: test every one).
    DATABASE_PING_AFTER_SECONDS = _env_int("DATABASE_PING_AFTER_SECONDS", 10)

    # i18n
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "marketplace" / "translations")

    # Money
    DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "CNY")
    PLATFORM_FEE_BPS = _env_int("PLATFORM_FEE_BPS", 1000)
    # Per-category fee overrides, e.g. "tutoring=500,delivery=800"
    PLATFORM_FEE_BPS_BY_CATEGORY = os.environ.get("PLATFORM_FEE_BPS_BY_CATEGORY", "")
    PAYOUT_MIN_AMOUNT = _env_int("PAYOUT_MIN_AMOUNT", 1000)  # 10.00 CNY
    PAYOUT_DAILY_LIMIT = _env_int("PAYOUT_DAILY_LIMIT", 5_000_000)  # 50,000.00 CNY
    # A bank-transfer confirmation or payout above this amount needs a second operator (four eyes).
    FOUR_EYES_AMOUNT = _env_int("FOUR_EYES_AMOUNT", 5_000_000)  # 50,000.00 CNY
    UNVERIFIED_PUBLISH_LIMIT = _env_int("UNVERIFIED_PUBLISH_LIMIT", 500_000)  # 5,000.00 CNY
    BANK_ACCOUNT_NAME = os.environ.get("BANK_ACCOUNT_NAME", "湖北汇众科技有限公司")
    BANK_ACCOUNT_NUMBER = os.environ.get("BANK_ACCOUNT_NUMBER", "4200 1234 5678 9012 345")
    BANK_NAME = os.environ.get("BANK_NAME", "中国银行武汉东湖支行")

    # Stripe (card payments are hidden when the secret key is unset)
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    STRIPE_TIMEOUT_SECONDS = _env_int("STRIPE_TIMEOUT_SECONDS", 10)

    # Timers
    REVIEW_DAYS = _env_int("REVIEW_DAYS", 7)
    # Days each side of a finished engagement has to review the other (double-blind).
    REVIEW_WINDOW_DAYS = _env_int("REVIEW_WINDOW_DAYS", 14)
    CLAIM_CONFIRM_HOURS = _env_int("CLAIM_CONFIRM_HOURS", 48)
    SELECTION_DAYS = _env_int("SELECTION_DAYS", 7)
    # Days a bounty prize stays held after the award, open to a dispute, before it is paid.
    BOUNTY_DISPUTE_DAYS = _env_int("BOUNTY_DISPUTE_DAYS", 7)
    MAX_REVISIONS = _env_int("MAX_REVISIONS", 3)
    # Disputes: how long both sides may add evidence, and the operators' target for deciding.
    EVIDENCE_DAYS = _env_int("EVIDENCE_DAYS", 7)
    DISPUTE_SLA_HOURS = _env_int("DISPUTE_SLA_HOURS", 72)
    # Operators' target for deciding a bounty that ended without a choice (the queue's reviews-due).
    BOUNTY_REVIEW_SLA_HOURS = _env_int("BOUNTY_REVIEW_SLA_HOURS", 72)
    AWARD_WINDOW_DAYS = _env_int("AWARD_WINDOW_DAYS", 14)  # after the bid deadline, then expiry

    # Uploads
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    AVATAR_MAX_BYTES = _env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
    LICENCE_MAX_BYTES = _env_int("LICENCE_MAX_BYTES", 5 * 1024 * 1024)
    ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    SUBMISSION_MAX_BYTES = _env_int("SUBMISSION_MAX_BYTES", 20 * 1024 * 1024)  # each file of a bounty entry
    # Where uploads live: "local" (UPLOAD_DIR, one server) or "s3" (an S3-compatible bucket that
    # every app server shares: S3, MinIO, Aliyun OSS, Tencent COS). See docs/deploy.md.
    FILE_STORE = os.environ.get("FILE_STORE", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty: AWS itself
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")  # empty: boto3's usual sources
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "path")  # "virtual" for OSS / COS
    # Downloads: stream through the app (default) or redirect to a URL signed for S3_URL_SECONDS.
    S3_SIGNED_URLS = _env_bool("S3_SIGNED_URLS", False)
    S3_URL_SECONDS = _env_int("S3_URL_SECONDS", 60)

    # Keyword search plans (marketplace/tasks/search.py, docs/deploy.md): a query whose rarest term
    # is in at most SEARCH_TERM_PLAN_MAX_TASKS tasks reads the term index; others walk a sort index
    # for at most SEARCH_WALK_ROWS tasks first.
    SEARCH_TERM_PLAN_MAX_TASKS = _env_int("SEARCH_TERM_PLAN_MAX_TASKS", 5000)
    SEARCH_WALK_ROWS = _env_int("SEARCH_WALK_ROWS", 10000)

    # Cache of the pages visitors see (the task list, task pages, GET /api/v1/tasks; see
    # marketplace/core/page_cache.py): a page is kept at most this many seconds, and dropped at once
    # when a write visitors can see is committed. 0 turns the cache off.
    PAGE_CACHE_SECONDS = _env_int("PAGE_CACHE_SECONDS", 15)
    # Bytes of pages kept per worker process (least recently used pages go first).
    PAGE_CACHE_MAX_BYTES = _env_int("PAGE_CACHE_MAX_BYTES", 16 * 1024 * 1024)
    # The Redis every worker and server shares the cache's version in (a write anywhere makes the
    # pages stale everywhere); empty: RATELIMIT_STORAGE_URI if it is redis://, else a file in the
    # instance folder, shared by the processes of one machine only.
    PAGE_CACHE_REDIS_URL = os.environ.get("PAGE_CACHE_REDIS_URL", "")

    # Rate limits
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins per address (successful ones never count): high enough for a campus behind
    # one NAT address, low enough to stop one address spraying passwords over many accounts.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per 5 minutes")
    # Per account: this many wrong passwords in a row pause sign-in for LOGIN_LOCK_SECONDS,
    # doubling with each further pause up to LOGIN_LOCK_MAX_SECONDS (the owner is mailed).
    LOGIN_ACCOUNT_FAILURES = _env_int("LOGIN_ACCOUNT_FAILURES", 5)
    LOGIN_LOCK_SECONDS = _env_int("LOGIN_LOCK_SECONDS", 60)
    LOGIN_LOCK_MAX_SECONDS = _env_int("LOGIN_LOCK_MAX_SECONDS", 24 * 3600)
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "20 per hour")
    RESET_MAIL_RATE_LIMIT = os.environ.get("RESET_MAIL_RATE_LIMIT", "5 per 15 minutes")

    # Mail: printed to the log and kept in the outbox table unless MAIL_SERVER is set
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@huizhong.example")

    # Field encryption of identity numbers (derived from SECRET_KEY when unset)
    FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    PASSWORD_RESET_MAX_AGE = 3600
    # How long the link of the confirmation mail sent at registration stays valid (seconds).
    EMAIL_CONFIRM_MAX_AGE = _env_int("EMAIL_CONFIRM_MAX_AGE", 2 * 24 * 3600)
    LOG_JSON = _env_bool("LOG_JSON", False)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "testing-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    STRIPE_SECRET_KEY = ""
    STRIPE_PUBLISHABLE_KEY = ""
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    PASSWORD_HASH_FAST = True  # cheap KDF parameters so the suite stays fast
    # The suite reads English messages; tests of the Chinese default build an app with zh_CN.
    BABEL_DEFAULT_LOCALE = "en"
    # The page cache is on in every test (a missed invalidation fails the test that wrote), with the
    # version in the process; the Redis store is tested on its own.
    PAGE_CACHE_SECONDS = 15
    PAGE_CACHE_REDIS_URL = ""


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    LOG_JSON = _env_bool("LOG_JSON", True)

    @classmethod
    def check(cls) -> None:
        """Refuse to start with development secrets or the embedded database."""
        problems = []
        key = os.environ.get("SECRET_KEY") or ""
        if len(key) < 32 or key in ("dev-only-not-secret", TestingConfig.SECRET_KEY):
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        url = os.environ.get("DATABASE_URL", "")
        if not url or url.startswith("sqlite"):
            problems.append("DATABASE_URL must name a PostgreSQL database")
        # memory:// counts per process: with several gunicorn workers every limit is multiplied.
        storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        if storage.startswith("memory://") and os.environ.get("WEB_CONCURRENCY", "") != "1":
            problems.append("RATELIMIT_STORAGE_URI must name a shared store such as redis://host:6379/0 "
                            "(memory:// counts per worker; set WEB_CONCURRENCY=1 to run a single worker)")
        # A version per worker would leave the other workers' pages stale for PAGE_CACHE_SECONDS.
        page_cache_on = _env_int("PAGE_CACHE_SECONDS", 15) > 0
        shared = os.environ.get("PAGE_CACHE_REDIS_URL", "") or (
            storage if storage.startswith(("redis://", "rediss://", "unix://")) else "")
        if page_cache_on and not shared and os.environ.get("WEB_CONCURRENCY", "") != "1":
            problems.append("PAGE_CACHE_REDIS_URL must name a Redis shared by every worker and server, such as "
                            "redis://host:6379/1 (or RATELIMIT_STORAGE_URI be a redis:// store); set "
                            "PAGE_CACHE_SECONDS=0 to turn the page cache off, or WEB_CONCURRENCY=1 to run a "
                            "single worker")
        if problems:
            raise RuntimeError("Production configuration refused: " + "; ".join(problems))


def instance_secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """The development key: read from instance/secret_key, written with a random value on first use
    (readable by the owner only), so no two installs share a key and none is in the source."""
    import secrets

    path = Path(instance_dir) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    name = os.environ.get("HUIZHONG_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"HUIZHONG_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
