"""Demo organisations for `flask demo load` (idempotent): a university science park, an
optical-fibre company and a machine works in Yichang, and a small team, with their members."""
from __future__ import annotations

from ..accounts import service as accounts
from ..extensions import db
from . import service
from .models import Membership, Organisation

PASSWORD = "huizhong-demo-2026"

# key -> (email, display name, city, bio, skills) for people the accounts demo may not have made
EXTRA_USERS = {
    "poster_org": ("poster@huizhong.example", "张伟（华科大科技园）", "wuhan-donghu", "", []),
    "solver_li": ("solver.li@huizhong.example", "李明", "wuhan-donghu", "", ["光纤传感", "嵌入式"]),
    "solver_wang": ("solver.wang@huizhong.example", "王芳", "wuhan-hongshan", "", ["翻译"]),
    "solver_zhao": ("solver.zhao@huizhong.example", "赵强", "yichang", "", ["跑腿", "搬运"]),
    "fibre_owner": ("chuguang@huizhong.example", "周涛（楚光光纤）", "wuhan-donghu",
                    "楚光光纤科技有限公司研发总监，负责光纤传感器与特种光纤的外包研发。", ["光纤", "研发管理"]),
    "machine_owner": ("jinggong@huizhong.example", "陈建国（宜昌精工）", "yichang",
                      "宜昌精工机械厂生产部经理，发布零部件设计与工艺改进任务。", ["机械设计", "工艺"]),
}

# key -> (name, kind, city, description, owner key, {member key: role}). The demo solvers are not
# members of the organisations whose tasks they bid on (members of a posting organisation may not bid).
DEMO_ORGS = {
    "donghu_park": ("东湖大学科技园", "university", "wuhan-donghu",
                    "依托武汉东湖高新区高校资源的大学科技园，开展科研众包、技术转移与仪器共享。",
                    "poster_org", {}),
    "chuguang": ("楚光光纤科技有限公司", "enterprise", "wuhan-donghu",
                 "光谷的光纤光缆与光纤传感企业，面向社会发布传感器设计、信号处理与检测任务。",
                 "fibre_owner", {"poster_org": "manager"}),
    "jinggong": ("宜昌精工机械厂", "enterprise", "yichang",
                 "宜昌的精密机械加工厂，外包零部件设计、工艺改进与设备维护。",
                 "machine_owner", {"solver_zhao": "member"}),
    "maker_team": ("光谷创客小队", "team", "wuhan-hongshan",
                   "三名光电与嵌入式方向的自由职业者组成的小团队，承接原型开发。",
                   "solver_li", {"solver_wang": "manager"}),
}


def _user(context, key):
    users = context.setdefault("users", {})
    if users.get(key) is not None:
        return users[key]
    email, name, city, bio, skills = EXTRA_USERS[key]
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.register(email=email, password=context.get("password", PASSWORD), display_name=name)
        accounts.update_profile(user, display_name=name, bio=bio, city=city, skills=skills)
        db.session.flush()
    logins = context.setdefault("logins", [])
    if key.endswith("_owner") and all(e != email for _label, e in logins):
        logins.append((f"Organisation owner ({name})", email))
    users[key] = user
    return user


def load(context: dict) -> None:
    context.setdefault("password", PASSWORD)
    orgs = context.setdefault("orgs", {})
    for key, (name, kind, city, description, owner_key, members) in DEMO_ORGS.items():
        owner = _user(context, owner_key)
        org = db.session.scalar(db.select(Organisation).where(Organisation.name == name).limit(1))
        if org is None:
            org = service.create_org(owner, name=name, kind=kind, city=city, description=description)
        for member_key, role in members.items():
            member = _user(context, member_key)
            exists = db.session.scalar(db.select(Membership.id).where(Membership.org_id == org.id,
                                                                       Membership.user_id == member.id))
            if exists is None:
                db.session.add(Membership(org_id=org.id, user_id=member.id, role=role))
        orgs[key] = org
    # The organisation registered with the accounts demo's organisation poster, if any.
    poster = context.get("users", {}).get("poster_org")
    if poster is not None:
        for org, _role in service.orgs_for_user(poster):
            if org.name == poster.org_name:
                orgs.setdefault("registered", org)
    db.session.flush()
