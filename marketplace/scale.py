"""`flask demo scale --tasks N`: a realistic marketplace of any size, for benchmarks.

Users (a tenth of the tasks), organisations with owners, approved identity checks for two users in
five, tasks of all three modes in every city and category with Chinese titles and descriptions of
120–200 characters, bids on tenders, contracts and milestones, and the ledger history of every
funded, released or refunded escrow plus wallet top-ups — each ledger transaction balanced, each
open hold matching its escrow, so `flask ledger verify` stays clean.

Rows are written in batches: PostgreSQL with COPY (1M tasks in minutes; task indexes rebuilt once at
the end), SQLite with executemany (100k tasks); ids continue from the largest; --seed is repeatable.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import click

from .accounts.models import skill_keys
from .accounts.passwords import _normal
from .core.catalogue import CATEGORIES, CITIES
from .core.db import utcnow
from .extensions import db
from .tasks.models import FAR_FUTURE, terms_literal
from .tasks.search_stats import refresh
from .tasks.terms import index_terms

YUAN = 100
FEE_BPS = 1000
PASSWORD = "scale-demo-2026"
LIFE = [slug for slug, (family, _name) in CATEGORIES.items() if family == "life_service"]
OTHER = [slug for slug in CATEGORIES if slug not in LIFE]
PREFECTURES = [code for code in CITIES if "-" not in code]
WUHAN_DISTRICTS = [code for code in CITIES if code.startswith("wuhan-")]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然子轩欣怡梓涵一诺晨阳"
ORG_WORDS = ("楚天", "江汉", "光谷", "荆楚", "长江", "东湖", "华中", "汉江", "鄂东", "三峡", "神农", "武当")
ORG_KINDS = (("科技有限公司", "enterprise"), ("智能装备有限公司", "enterprise"), ("大学", "university"),
             ("研究院", "institute"), ("工作室", "team"), ("信息技术有限公司", "enterprise"))

# Per category: subjects (title heads), detail sentences, skills. The pools of different families
# share no topic words, so some pairs of terms never occur together (e.g. 家政 and 芯片).
TOPICS = {
    "rd_challenge": (["光纤传感器", "钙钛矿电池", "锂电池热管理", "芯片散热结构", "激光雷达标定", "氢燃料电池膜电极",
                      "工业机器人视觉", "超快激光加工", "生物降解材料", "碳化硅功率器件"],
                     ["需要完成关键技术研发与样机验证，提交技术方案和测试报告。", "要求团队具备相关研发经验，可基于 FPGA 或 STM32 实现。",
                      "项目分两期里程碑付款，第一期交付原理样机。", "测试指标需达到行业先进水平，并提供第三方检测数据。"],
                     ["fpga", "stm32", "光学", "材料", "嵌入式"]),
    "tech_transfer": (["专利成果转化", "实验室技术孵化", "高校科研成果", "新型环保涂料技术", "节能电机技术"],
                      ["寻求合作企业完成成果转化与中试放大。", "可采用技术许可或作价入股方式合作。",
                       "需提供市场分析与产业化可行性报告。"], ["技术转移", "知识产权", "商业分析"]),
    "instrument_time": (["扫描电镜测试机时", "质谱仪检测", "X射线衍射分析", "材料力学性能测试", "电磁兼容测试"],
                        ["按机时计费，需出具检测报告并盖章。", "样品由我方寄送，测试后三个工作日内出数据。",
                         "要求实验室具备 CMA 资质。"], ["检测", "实验", "数据分析"]),
    "expert_consulting": (["产业规划咨询", "专利布局咨询", "智能制造诊断", "质量体系评审", "研发管理咨询"],
                          ["邀请行业专家进行现场诊断并出具咨询报告。", "咨询周期约两周，需线上线下结合。",
                           "专家需有十年以上相关行业经验。"], ["咨询", "管理", "战略"]),
    "component_design": (["减速器齿轮", "注塑模具", "汽车零部件结构", "钣金机箱", "精密夹具"],
                         ["提供三维模型与工程图纸，满足强度与装配要求。", "需进行有限元仿真校核并优化轻量化。",
                          "交付 SolidWorks 源文件和 BOM 清单。"], ["solidworks", "机械设计", "仿真"]),
    "process_improvement": (["产线节拍优化", "焊接工艺改进", "表面处理工艺", "精益生产改善", "良率提升"],
                            ["分析现有工艺瓶颈并提出改进方案，目标提升效率百分之二十。", "需驻场调研一周，输出改善报告。",
                             "改进后需跟踪验证一个月。"], ["精益生产", "工艺", "质量管理"]),
    "software": (["小程序商城开发", "仓储管理系统", "数据可视化大屏", "设备物联网平台", "Python 数据采集工具"],
                 ["要求使用 Python 或 Java 开发，提供源代码和部署文档。", "前端采用 Vue，需适配手机和电脑。",
                  "项目验收后提供三个月免费维护。", "需对接现有 ERP 系统接口。"], ["python", "java", "vue", "数据库"]),
    "appliance_repair": (["空调不制冷维修", "洗衣机漏水维修", "冰箱不制冷", "热水器打不着火", "油烟机清洗维修"],
                         ["请带好常用配件，上门检修并说明故障原因。", "维修后请演示正常运行，并拍照留存。"],
                         ["家电维修", "上门服务"]),
    "cleaning": (["新房开荒保洁", "日常家庭保洁", "厨房深度清洁", "玻璃擦洗", "退租保洁"],
                 ["约九十平方米，三室一厅，请自带清洁工具。", "重点清洁厨房和卫生间，完成后拍照确认。"],
                 ["保洁", "家政"]),
    "moving": (["同城小件搬家", "学生宿舍搬家", "办公室搬迁", "钢琴搬运", "家具拆装搬运"],
               ["六楼无电梯，请提前确认人手。", "需要拆装一张床和一个衣柜。"],
               ["搬家", "搬运"]),
    "errands": (["排队取号", "代买早餐", "宠物代喂", "代取快递", "代送钥匙"],
                ["请按约定时间完成，并发照片确认。", "路程较近，步行即可。"],
                ["跑腿"]),
    "plumbing_electrics": (["水龙头漏水维修", "下水道疏通", "插座更换", "灯具安装", "电路跳闸检修"],
                           ["请带好工具和常用配件，上门处理。", "需持电工证，完成后检查用电安全。"],
                           ["水电维修"]),
    "delivery": (["同城文件急送", "生鲜代买跑腿", "合同文件取送", "药品代取", "快递代收代寄"],
                 ["请在约定时间内送达，并拍照确认。", "物品较轻，步行或电动车均可。", "送达后请当面交给收件人。"],
                 ["跑腿", "配送"]),
    "transport": (["小件搬家", "家具运输", "货物短途运输", "设备搬运", "行李接送"],
                  ["需要小型货车一辆，司机协助装卸。", "路线约二十公里，请提前联系确认时间。", "物品需包装防护，避免磕碰。"],
                  ["驾驶", "搬运"]),
    "tutoring": (["初中数学辅导", "高中物理辅导", "英语口语陪练", "小学作业辅导", "钢琴入门陪练"],
                 ["每周两次，每次两小时，可上门或线上。", "孩子基础一般，希望老师耐心细致。", "需要有相关教学经验，提供试课。"],
                 ["教学", "英语", "数学"]),
    "travel_guide": (["东湖绿道导游", "黄鹤楼讲解", "神农架徒步向导", "三峡游船陪同", "武当山一日游向导"],
                     ["游客四人，需熟悉当地历史文化。", "行程一天，包含午餐安排建议。", "需会普通话和简单英语讲解。"],
                     ["导游", "讲解"]),
    "home_care": (["家政保洁", "老人陪护", "月嫂服务", "家电清洗", "病后康复护理"],
                  ["家政服务需持健康证，工作认真负责。", "每周三次，每次四小时，地点在小区内。", "需有护理经验，能照顾行动不便的老人。"],
                  ["家政", "护理"]),
    "micro_film": (["科普微电影拍摄", "企业宣传片", "校园微电影", "产品短视频", "纪录片剪辑"],
                   ["提供剧本分镜，拍摄 4K 成片并配字幕。", "拍摄周期三天，后期制作一周。", "需自带摄影器材和灯光团队。"],
                   ["摄影", "剪辑", "导演"]),
    "animation": (["二维科普动画", "三维产品动画", "MG 动画制作", "卡通形象设计", "教学动画课件"],
                  ["时长约三分钟，风格简洁活泼。", "需提供配音和背景音乐，可修改两次。", "交付高清视频和工程文件。"],
                  ["动画", "建模", "设计"]),
    "popular_science": (["科普文章撰写", "青少年科普读物", "健康知识科普", "航天科普专栏", "科普展板文案"],
                        ["面向中学生读者，语言通俗易懂。", "每篇约两千字，需注明参考资料。", "内容需经专家审核，保证科学准确。"],
                        ["写作", "科普"]),
    "encyclopedia_qa": (["百科词条编写", "行业知识问答", "医学问答审核", "法律常识问答", "农业技术问答"],
                        ["每条回答需引用权威来源。", "共需完成五十条，按条计费。", "回答需简洁准确，避免广告内容。"],
                        ["百科", "问答"]),
    "translation": (["技术白皮书英译中", "产品说明书翻译", "论文摘要翻译", "合同文件翻译", "网站本地化翻译"],
                    ["译文需术语统一，我方提供术语表。", "约三万词，分三批交付。", "需要有科技文献翻译经验。"],
                    ["翻译", "英语", "本地化"]),
}
COMMON = ["欢迎有经验的团队或个人参与，报价请说明工期。", "平台托管资金，验收合格后付款。",
          "如有疑问请在任务页面提问，我们会及时答复。", "请在方案中说明类似项目经历。",
          "交付物需按时提交，逾期将影响评价。"]
TITLE_TAILS = {"research": ("研发", "方案征集", "技术攻关", "项目合作"), "enterprise": ("设计", "开发", "优化项目", "外包"),
               "life_service": ("服务", "", "（急）", "需求"), "knowledge_content": ("制作", "征稿", "项目", "外包")}
TASK_STATUS = {  # mode -> [(status, weight)]
    "tender": [("open", 45), ("in_progress", 15), ("completed", 20), ("cancelled", 10), ("expired", 10)],
    "claim": [("open", 50), ("in_progress", 15), ("completed", 25), ("expired", 10)],
    "bounty": [("open", 50), ("selecting", 10), ("completed", 25), ("refunded", 15)],
}


class Ids:
    """The next id of each table (the generator assigns ids itself, so rows can be COPY'd)."""

    def __init__(self, tables):
        self._next = {}
        for name in tables:
            self._next[name] = (db.session.scalar(db.text(f"SELECT coalesce(max(id), 0) FROM {name}")) or 0) + 1

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class Writer:
    """Collects rows per table and writes them in batches (COPY on PostgreSQL)."""

    ORDER = ("users", "user_skills", "organisations", "memberships", "verification_requests", "ledger_accounts",
             "tasks", "task_skills", "bids", "contracts", "milestones", "ledger_transactions", "ledger_entries",
             "ledger_holds", "ledger_hold_resolutions")
    # Tables keyed by (owner, skill), without an id of their own.
    WITHOUT_ID = ("user_skills", "task_skills")

    def __init__(self):
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.rows: dict[str, list] = {name: [] for name in self.ORDER}
        self.columns: dict[str, tuple] = {}

    def add(self, table: str, **row):
        if table not in self.columns:
            self.columns[table] = tuple(row)
        self.rows[table].append(tuple(row[c] for c in self.columns[table]))

    def _value(self, value):
        if isinstance(value, dt.datetime) and not self.postgres:
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def flush(self):
        for table in self.ORDER:
            rows = self.rows[table]
            if not rows:
                continue
            columns = self.columns[table]
            if self.postgres:
                raw = self.connection.connection.dbapi_connection
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                raw = self.connection.connection.dbapi_connection
                marks = ", ".join("?" for _ in columns)
                raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                [tuple(self._value(v) for v in row) for row in rows])
            self.rows[table] = []


class Ledger:
    """Balanced ledger rows for the generator: accounts on first use, one transaction per move."""

    def __init__(self, writer: Writer, ids: Ids, now: dt.datetime):
        self.w, self.ids, self.now = writer, ids, now
        self.accounts: dict[str, int] = dict(db.session.execute(db.text(
            "SELECT code, id FROM ledger_accounts WHERE currency = 'CNY' AND kind IN ('cash', 'revenue')")).all())
        self.run = ids._next["ledger_transactions"]

    def account(self, code: str, kind: str, *, owner=None, ref=None, status="open", closed_at=None) -> int:
        if code in self.accounts:
            return self.accounts[code]
        account_id = self.ids.take("ledger_accounts")
        self.w.add("ledger_accounts", id=account_id, code=code, currency="CNY", kind=kind,
                   owner_type=owner[0] if owner else None, owner_id=owner[1] if owner else None, ref=ref,
                   status=status, created_at=self.now, closed_at=closed_at)
        if kind != "escrow":  # escrows are used once; wallets and platform accounts again
            self.accounts[code] = account_id
        return account_id

    def wallet(self, user_id: int) -> int:
        return self.account(f"wallet:user:{user_id}", "wallet", owner=("user", user_id))

    def post(self, kind: str, ref: str, legs, when: dt.datetime) -> int:
        assert sum(amount for _account, amount in legs) == 0, legs
        txn = self.ids.take("ledger_transactions")
        self.w.add("ledger_transactions", id=txn, kind=kind, idempotency_key=f"scale:{self.run}:{txn}",
                   request_hash=hashlib.sha256(f"{kind}:{ref}".encode()).hexdigest(), ref=ref, actor_id=None,
                   created_at=when)
        for account_id, amount in legs:
            self.w.add("ledger_entries", id=self.ids.take("ledger_entries"), transaction_id=txn,
                       account_id=account_id, amount=amount, currency="CNY")
        return txn

    def escrow(self, ref: str, hold_ref: str, payer_id: int, amount: int, when: dt.datetime,
               outcome: str | None = None, solver_id: int | None = None):
        """Fund an escrow from the bank; then, with `outcome`, release it to the solver (fee to
        revenue) or refund it to the payer's wallet, closing the escrow."""
        closed = when + dt.timedelta(days=3) if outcome else None
        escrow = self.account(f"escrow:{ref}", "escrow", ref=ref, status="closed" if outcome else "open",
                              closed_at=closed)
        payer_wallet = self.wallet(payer_id)
        cash = self.account("cash:bank", "cash")
        funding = self.post("fund_escrow", ref, [(cash, -amount), (escrow, amount)], when)
        hold = self.ids.take("ledger_holds")
        self.w.add("ledger_holds", id=hold, ref=hold_ref, kind="escrow", account_id=escrow,
                   payer_account_id=payer_wallet, channel="bank", amount=amount, currency="CNY",
                   status=outcome or "open", funding_transaction_id=funding, created_at=when, resolved_at=closed)
        if outcome is None:
            return
        if outcome == "released":
            fee = amount * FEE_BPS // 10000
            legs = [(escrow, -amount), (self.wallet(solver_id), amount - fee)]
            if fee:
                legs.append((self.account("revenue:fees", "revenue"), fee))
            txn = self.post("release", ref, legs, closed)
        else:
            txn = self.post("refund", ref, [(escrow, -amount), (payer_wallet, amount)], closed)
        self.w.add("ledger_hold_resolutions", id=self.ids.take("ledger_hold_resolutions"), hold_id=hold,
                   transaction_id=txn, outcome=outcome, created_at=closed)

    def top_up(self, user_id: int, amount: int, when: dt.datetime):
        self.post("fund_wallet", f"wallet:user:{user_id}",
                  [(self.account("cash:bank", "cash"), -amount), (self.wallet(user_id), amount)], when)


def _text(rng: random.Random, category: str) -> tuple[str, str, list[str]]:
    subjects, details, skills = TOPICS[category]
    family = CATEGORIES[category][0]
    title = rng.choice(subjects) + rng.choice(TITLE_TAILS[family])
    target = rng.randint(124, 200)  # room for trailing punctuation stripped below
    parts, length = [], 0
    pool = details + COMMON
    while length < target:
        sentence = rng.choice(pool)
        parts.append(sentence)
        length += len(sentence)
    description = "".join(parts)[:target - 1].rstrip("，、；") + "。"
    return title, description, rng.sample(skills, k=min(len(skills), rng.randint(1, 3)))


def _pick(rng: random.Random, weighted):
    total = sum(w for _v, w in weighted)
    x = rng.uniform(0, total)
    for value, weight in weighted:
        x -= weight
        if x <= 0:
            return value
    return weighted[-1][0]


def _prepare_postgres(writer: Writer) -> list[str]:
    """Drop the search and sort indexes of tasks for the load (rebuilt once after); returns the
    statements that rebuild them."""
    rows = db.session.execute(db.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'tasks' "
        "AND indexname IN ('ix_tasks_search_terms', 'ix_tasks_open_newest', 'ix_tasks_open_deadline', "
        "'ix_tasks_open_amount')")).all()
    for name, _definition in rows:
        db.session.execute(db.text(f'DROP INDEX "{name}"'))
    # The balance trigger is off: only balanced transactions are written (asserted above, verified after).
    db.session.execute(db.text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_balanced"))
    return [definition for _name, definition in rows]


def generate(tasks: int, seed: int = 1, batch: int = 5000, echo=click.echo) -> dict:
    """Add `tasks` tasks (and their users, organisations, bids, contracts and ledger history)."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    ids = Ids([table for table in Writer.ORDER if table not in Writer.WITHOUT_ID])
    writer = Writer()
    ledger = Ledger(writer, ids, now)
    rebuild = _prepare_postgres(writer) if writer.postgres else []
    if writer.postgres:
        db.session.execute(db.text("SET LOCAL maintenance_work_mem = '512MB'"))
    password_hash = _normal.hash(PASSWORD)
    run = ids._next["users"]
    counts = dict(users=0, orgs=0, tasks=0, bids=0, contracts=0, transactions=0)

    # Users: a tenth of the tasks (at least 50); two in five verified; one in five tops up a wallet.
    n_users = max(50, tasks // 10)
    users = []
    with click.progressbar(length=n_users, label="users and organisations") as bar:
        for i in range(n_users):
            uid = ids.take("users")
            city = rng.choice(list(CITIES))
            category = rng.choice(list(CATEGORIES))
            skills = rng.sample(TOPICS[category][2], k=min(2, len(TOPICS[category][2])))
            created = now - dt.timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86400))
            is_org = i % 40 == 0
            writer.add("users", id=uid, email=f"scale{run}-{i}@scale.example", password_hash=password_hash,
                       display_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                       account_type="organization" if is_org else "individual", org_name=None, role="member",
                       bio="", city=city, skills=json.dumps(skills, ensure_ascii=False), avatar_path=None,
                       locale="zh_CN", suspended_at=None, created_at=created, last_login_at=None)
            for key in sorted(skill_keys(skills)):
                writer.add("user_skills", user_id=uid, skill=key)
            users.append((uid, city, category))
            if is_org:
                words, (suffix, kind) = rng.choice(ORG_WORDS), rng.choice(ORG_KINDS)
                org_id = ids.take("organisations")
                writer.add("organisations", id=org_id, name=f"{words}{suffix}{org_id}", kind=kind, city=city,
                           description="", created_by_id=uid, created_at=created)
                writer.add("memberships", id=ids.take("memberships"), org_id=org_id, user_id=uid, role="owner",
                           created_at=created)
                counts["orgs"] += 1
            if rng.random() < 0.4:
                digest = hashlib.sha256(f"scale:{uid}".encode()).hexdigest()
                writer.add("verification_requests", id=ids.take("verification_requests"), subject="individual",
                           user_id=uid, org_id=None, name="实名用户", masked_number="4201************" + str(uid % 10) * 2,
                           number_digest=digest, licence_token=None, licence_path=None, licence_name=None,
                           licence_mime=None, licence_size=None, licence_sha256=None, status="approved",
                           reason=None, created_at=created, decided_at=created, decided_by_id=None)
            if rng.random() < 0.2:
                ledger.top_up(uid, rng.randint(100, 20000) * YUAN, created + dt.timedelta(days=1))
                counts["transactions"] += 1
            if len(writer.rows["users"]) >= batch:
                writer.flush()
            bar.update(1)
    writer.flush()
    counts["users"] = n_users
    by_city: dict[str, list[int]] = {}
    for uid, city, _category in users:
        by_city.setdefault(city.split("-")[0], []).append(uid)
    user_ids = [u[0] for u in users]

    categories = list(CATEGORIES)
    cities = list(CITIES)
    with click.progressbar(length=tasks, label="tasks, bids, contracts, ledger") as bar:
        for i in range(tasks):
            tid = ids.take("tasks")
            # Round-robin over categories and cities so every one appears, shuffled by the rng.
            category = categories[i % len(categories)] if i < 10 * len(categories) else rng.choice(categories)
            mode = ("claim" if category in LIFE and rng.random() < 0.8
                    else "bounty" if rng.random() < 0.3 else "tender")
            if category not in LIFE and mode == "claim":
                mode = "tender"
            status = _pick(rng, TASK_STATUS[mode])
            city = cities[i % len(cities)] if i < 2 * len(cities) else rng.choice(cities)
            district = None
            if mode == "claim" and "-" not in city and city == "wuhan":
                district = rng.choice(WUHAN_DISTRICTS)
            poster = rng.choice(user_ids)
            title, description, skills = _text(rng, category)
            age = dt.timedelta(days=rng.randint(0, 30 if status == "open" else 700),
                               seconds=rng.randint(0, 86400))
            created = now - age - dt.timedelta(hours=2)
            published = created + dt.timedelta(hours=1)
            future = now + dt.timedelta(days=rng.randint(3, 60))
            past = published + dt.timedelta(days=rng.randint(3, 30))
            deadline = future if status == "open" else min(past, now - dt.timedelta(hours=1))
            row = dict(
                id=tid, mode=mode, status=status, title=title, description=description, category=category,
                skills=json.dumps(skills, ensure_ascii=False), city=city, visibility="public",
                ip_terms="solver_keeps", org_id=None, poster_id=poster, currency="CNY", escrow_funded=False,
                escrow_amount=0, created_at=created, published_at=published, updated_at=published,
                cancelled_at=published + dt.timedelta(days=2) if status == "cancelled" else None,
                hidden_at=None, hidden_reason=None, budget_min=None, budget_max=None, bid_deadline=None,
                price=None, address=None, district=district, window_start=None, window_end=None,
                claimant_id=None, prize_structure=None, prizes=None, unit_price=None, max_pieces=None,
                submission_deadline=None, selection_days=None, eligibility=None)
            solver = rng.choice(user_ids)
            while solver == poster:
                solver = rng.choice(user_ids)
            if mode == "tender":
                low = rng.randint(10, 2000) * 100 * YUAN
                row.update(budget_min=low, budget_max=low * rng.choice((1, 2, 3)), bid_deadline=deadline)
                amount = row["budget_max"]
            elif mode == "claim":
                amount = rng.randint(30, 2000) * YUAN
                start = deadline
                row.update(price=amount, address="示例小区 %d 号楼" % rng.randint(1, 30),
                           window_start=start, window_end=start + dt.timedelta(hours=rng.choice((2, 4, 8))))
            else:
                amount = rng.randint(5, 500) * 100 * YUAN
                row.update(prize_structure="single", prizes=json.dumps([amount]), submission_deadline=deadline,
                           selection_days=7, eligibility="anyone")
            reward = amount
            row["listed_amount"] = reward
            row["listed_deadline"] = deadline
            row["listed_at"] = published
            row["sort_deadline"] = deadline or FAR_FUTURE
            row["sort_amount"] = reward or 0
            row["listed_prefecture"] = (district or city).split("-", 1)[0]
            terms = index_terms(title, description, " ".join(skills))
            row["search_terms"] = terms_literal(sorted(terms), "postgresql" if writer.postgres else "sqlite")

            funded_at = published
            if mode == "claim":
                outcome = {"completed": "released", "expired": "refunded"}.get(status)
                ledger.escrow(f"task:{tid}", f"task:{tid}", poster, amount, funded_at, outcome, solver)
                counts["transactions"] += 2 if outcome else 1
                row.update(escrow_funded=True, escrow_amount=0 if outcome else amount)
                if status in ("in_progress", "completed"):
                    row["claimant_id"] = solver
            elif mode == "bounty":
                outcome = {"completed": "released", "refunded": "refunded"}.get(status)
                ledger.escrow(f"task:{tid}", f"task:{tid}:prize:1", poster, amount, funded_at, outcome, solver)
                counts["transactions"] += 2 if outcome else 1
                row.update(escrow_funded=True, escrow_amount=0 if outcome else amount)
            writer.add("tasks", **row)
            for key in sorted(skill_keys(skills)):
                writer.add("task_skills", task_id=tid, skill=key)

            contract_bid = None
            if mode == "tender":
                n_bids = rng.choice((0, 1, 2, 2, 3, 4))
                if status in ("in_progress", "completed"):
                    n_bids = max(n_bids, 1)
                bidders = rng.sample(user_ids, k=min(n_bids, len(user_ids)))
                if poster in bidders:
                    bidders.remove(poster)
                for k, bidder in enumerate(bidders):
                    bid_id = ids.take("bids")
                    won = k == 0 and status in ("in_progress", "completed")
                    price = max(YUAN, rng.randint(row["budget_min"] // YUAN, row["budget_max"] // YUAN) * YUAN)
                    writer.add("bids", id=bid_id, task_id=tid, solver_id=bidder, org_id=None, amount=price,
                               currency="CNY", days=rng.randint(7, 120),
                               proposal="我们团队有多年相关经验，可按期交付，报价含税。" + title,
                               status="accepted" if won else ("rejected" if status in ("in_progress", "completed")
                                                               else "submitted"),
                               reject_reason=None, created_at=published + dt.timedelta(hours=k + 1),
                               updated_at=published + dt.timedelta(hours=k + 1),
                               decided_at=published + dt.timedelta(days=1) if status != "open" else None)
                    if won:
                        contract_bid = (bid_id, bidder, price)
                counts["bids"] += len(bidders)
            contract = None
            if contract_bid:
                bid_id, solver, price = contract_bid
                contract = (ids.take("contracts"), "tender", bid_id, solver, price)
            elif mode == "claim" and status in ("in_progress", "completed"):
                contract = (ids.take("contracts"), "claim", None, solver, amount)
            if contract:
                cid, kind, bid_id, solver, price = contract
                started = published + dt.timedelta(days=1)
                done = status == "completed"
                writer.add("contracts", id=cid, kind=kind, task_id=tid, bid_id=bid_id, poster_id=poster,
                           solver_id=solver, org_id=None, solver_org_id=None,
                           status="completed" if done else "active", amount=price, currency="CNY",
                           days=30, created_at=started, accepted_at=started,
                           completed_at=started + dt.timedelta(days=20) if done else None, cancelled_at=None,
                           poster_cancel_at=None, solver_cancel_at=None)
                counts["contracts"] += 1
                if kind == "tender":
                    first = price // 2 if price >= 2 * YUAN else price
                    parts = [first, price - first] if price - first > 0 else [first]
                    for position, part in enumerate(parts, start=1):
                        mid = ids.take("milestones")
                        funded = done or position == 1
                        state = "accepted" if done else ("funded" if funded else "pending_funding")
                        writer.add("milestones", id=mid, contract_id=cid, position=position,
                                   title=f"第{position}期交付", amount=part, currency="CNY", status=state,
                                   escrow_ref=f"milestone:{mid}" if funded else None,
                                   due_at=started + dt.timedelta(days=15 * position),
                                   funded_at=started if funded else None, delivered_at=None, review_due_at=None,
                                   accepted_at=started + dt.timedelta(days=15 * position) if done else None,
                                   auto_accepted=False, revisions=0)
                        if funded:
                            ledger.escrow(f"milestone:{mid}", f"milestone:{mid}", poster, part, started,
                                          "released" if done else None, solver)
                            counts["transactions"] += 2 if done else 1
            if len(writer.rows["tasks"]) >= batch:
                writer.flush()
                bar.update(batch)
        remaining = len(writer.rows["tasks"])
        writer.flush()
        bar.update(remaining)
    counts["tasks"] = tasks

    if writer.postgres:
        echo("rebuilding the search and sort indexes of tasks ...")
        for statement in rebuild:
            db.session.execute(db.text(statement))
        db.session.execute(db.text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_balanced"))
        for table in (t for t in Writer.ORDER if t not in Writer.WITHOUT_ID):
            db.session.execute(db.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    echo("counting search terms ...")
    refresh()
    return counts
