"""Fixed reference lists: task categories (four families) and Hubei cities/districts.

Stored values are the codes/slugs; names are translatable and rendered per locale.
"""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

FAMILIES = {
    "research": _l("Research crowdsourcing"),
    "enterprise": _l("Leading-enterprise crowdsourcing"),
    "life_service": _l("Life-service crowdsourcing"),
    "knowledge_content": _l("Knowledge-content crowdsourcing"),
}

# slug -> (family, name)
CATEGORIES = {
    "rd_challenge": ("research", _l("R&D challenge")),
    "tech_transfer": ("research", _l("Technology transfer")),
    "instrument_time": ("research", _l("Testing and instrument time")),
    "expert_consulting": ("research", _l("Expert consultation")),
    "component_design": ("enterprise", _l("Component design")),
    "process_improvement": ("enterprise", _l("Process improvement")),
    "software": ("enterprise", _l("Software development")),
    "appliance_repair": ("life_service", _l("Appliance repair")),
    "cleaning": ("life_service", _l("House cleaning")),
    "moving": ("life_service", _l("Moving house")),
    "errands": ("life_service", _l("Errands")),
    "plumbing_electrics": ("life_service", _l("Plumbing and electrics")),
    "delivery": ("life_service", _l("Delivery and errands")),
    "transport": ("life_service", _l("Transport")),
    "tutoring": ("life_service", _l("Tutoring and online education")),
    "travel_guide": ("life_service", _l("Travel guiding")),
    "home_care": ("life_service", _l("Home and health care")),
    "micro_film": ("knowledge_content", _l("Micro-film")),
    "animation": ("knowledge_content", _l("Animation")),
    "popular_science": ("knowledge_content", _l("Popular-science writing")),
    "encyclopedia_qa": ("knowledge_content", _l("Encyclopedia Q&A")),
    "translation": ("knowledge_content", _l("Translation")),
}

# code -> name. Prefecture-level divisions of Hubei, Wuhan's districts, and "other".
CITIES = {
    "wuhan": _l("Wuhan"),
    "wuhan-jiangan": _l("Wuhan · Jiang'an"),
    "wuhan-jianghan": _l("Wuhan · Jianghan"),
    "wuhan-qiaokou": _l("Wuhan · Qiaokou"),
    "wuhan-hanyang": _l("Wuhan · Hanyang"),
    "wuhan-wuchang": _l("Wuhan · Wuchang"),
    "wuhan-qingshan": _l("Wuhan · Qingshan"),
    "wuhan-hongshan": _l("Wuhan · Hongshan"),
    "wuhan-donghu": _l("Wuhan · East Lake High-tech Zone"),
    "wuhan-caidian": _l("Wuhan · Caidian"),
    "wuhan-jiangxia": _l("Wuhan · Jiangxia"),
    "wuhan-huangpi": _l("Wuhan · Huangpi"),
    "wuhan-xinzhou": _l("Wuhan · Xinzhou"),
    "wuhan-dongxihu": _l("Wuhan · Dongxihu"),
    "wuhan-hannan": _l("Wuhan · Hannan"),
    "huangshi": _l("Huangshi"),
    "shiyan": _l("Shiyan"),
    "yichang": _l("Yichang"),
    "xiangyang": _l("Xiangyang"),
    "ezhou": _l("Ezhou"),
    "jingmen": _l("Jingmen"),
    "xiaogan": _l("Xiaogan"),
    "jingzhou": _l("Jingzhou"),
    "huanggang": _l("Huanggang"),
    "xianning": _l("Xianning"),
    "suizhou": _l("Suizhou"),
    "enshi": _l("Enshi"),
    "xiantao": _l("Xiantao"),
    "qianjiang": _l("Qianjiang"),
    "tianmen": _l("Tianmen"),
    "shennongjia": _l("Shennongjia"),
    "other": _l("Other (outside Hubei)"),
}


def city_of(code: str | None) -> str | None:
    """The prefecture a city/district code belongs to ("wuhan-hongshan" -> "wuhan")."""
    if not code:
        return None
    return code.split("-", 1)[0]


def city_name(code: str | None) -> str:
    return str(CITIES.get(code, "")) if code else ""


def category_name(slug: str | None) -> str:
    entry = CATEGORIES.get(slug)
    return str(entry[1]) if entry else (slug or "")


# Choices keep lazy labels, so a form defined once at import renders in each request's language.

def city_choices(blank: bool = True):
    choices = list(CITIES.items())
    return ([("", "—")] if blank else []) + choices


def _category_label(family: str, name) -> str:
    return f"{FAMILIES[family]} · {name}"


def life_service_categories() -> list[str]:
    return [slug for slug, (family, _name) in CATEGORIES.items() if family == "life_service"]


def place_choices() -> dict:
    """One place list for a household job: each city, and under Wuhan its districts, as optgroups
    {city name: [(code, name), ...]} (WTForms renders a dict of lists as <optgroup>s)."""
    groups: dict[str, list] = {}
    for code, name in CITIES.items():
        city = city_of(code)
        group = str(CITIES.get(city, name))
        label = str(name).split(" · ", 1)[-1]
        if code == city and any(other.startswith(city + "-") for other in CITIES):
            continue  # a city with districts: choose the district
        groups.setdefault(group, []).append((code, label))
    return groups


def category_choices(blank: bool = True):
    choices = [(slug, LazyString(_category_label, fam, name)) for slug, (fam, name) in CATEGORIES.items()]
    return ([("", "—")] if blank else []) + choices
