"""Demo users for `flask demo load`: an operator, an admin, posters and solvers (idempotent)."""
from __future__ import annotations

from ..extensions import db
from . import service

PASSWORD = "huizhong-demo-2026"

# key -> (role label, fields)
DEMO_USERS = {
    "operator": ("Operator", dict(
        email="operator@huizhong.example", display_name="平台运营 陈静", role="operator",
        city="wuhan-donghu", bio="汇众平台运营，负责认证审核、银行转账确认与纠纷处理。", skills=[])),
    "admin": ("Admin", dict(
        email="admin@huizhong.example", display_name="平台管理员", role="admin",
        city="wuhan-donghu", bio="汇众平台管理员。", skills=[])),
    "poster_org": ("Poster (organisation)", dict(
        email="poster@huizhong.example", display_name="张伟（华科大科技园）", account_type="organization",
        org_name="华科大科技园", city="wuhan-donghu",
        bio="华科大科技园企业服务部联系人，发布研发攻关与技术转移需求。", skills=["技术转移", "项目管理"])),
    "poster_home": ("Poster (household)", dict(
        email="household@huizhong.example", display_name="刘阿姨", city="wuhan-wuchang",
        bio="武昌居民，偶尔需要跑腿、陪护和家教服务。", skills=[])),
    "solver_li": ("Solver (fibre sensing)", dict(
        email="solver.li@huizhong.example", display_name="李明", city="wuhan-donghu",
        bio="光电方向硕士，五年光纤传感与嵌入式开发经验，做过桥梁健康监测项目。",
        skills=["光纤传感", "嵌入式", "STM32", "信号处理"])),
    "solver_wang": ("Solver (translation, tutoring)", dict(
        email="solver.wang@huizhong.example", display_name="王芳", city="wuhan-hongshan",
        bio="英语专业八级，科技文献翻译与中学英语辅导。目前在伦敦访学，时间按伦敦时间显示。",
        skills=["翻译", "英语辅导", "科技写作"], timezone="Europe/London")),
    "solver_zhao": ("Solver (Yichang)", dict(
        email="solver.zhao@huizhong.example", display_name="赵强", city="yichang",
        bio="宜昌本地跑腿与搬运，有货车，熟悉三峡周边旅游线路。", skills=["跑腿", "搬运", "旅游向导"])),
}


def load(context: dict) -> None:
    context["password"] = PASSWORD
    users = context.setdefault("users", {})
    logins = context.setdefault("logins", [])
    for key, (label, fields) in DEMO_USERS.items():
        fields = dict(fields)
        user = service.find_by_email(fields["email"])
        if user is None:
            user = service.register(email=fields["email"], password=PASSWORD,
                                    display_name=fields["display_name"],
                                    account_type=fields.get("account_type", "individual"),
                                    org_name=fields.get("org_name"))
            service.update_profile(user, display_name=fields["display_name"], bio=fields["bio"],
                                   city=fields["city"], skills=fields["skills"],
                                   timezone=fields.get("timezone"))
            if fields.get("role", "member") != "member":
                service.set_role(None, user, fields["role"], system=True)
            db.session.flush()
        users[key] = user
        logins.append((label, user.email))
