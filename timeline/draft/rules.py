"""The wording rules: how corporate reporting says each kind of fact and metric.

Data, not logic: each table pairs a vocabulary name with the phrases press
releases, news and earnings calls use for it.  The patterns are general
reporting language ("revenue was", "partnered with", "opened its new plant"),
never fragments of particular documents.  `classify.py` applies them.

Patterns are case-insensitive unless they say otherwise; `\\b` keeps them to
whole words.  Chinese phrases (simplified and traditional) sit next to the
English ones for `--language zh`.
"""
import re

from .. import vocabulary


def _any(*patterns):
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _exact(*patterns):
    """For wording written in capitals: titles ("Chief Financial Officer") and tickers."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# ---- metrics: (metric, wording, what its value is) ----
# THE table of metric wording: which words name which metric.  value: money, percent or a
# count unit ("vehicles"); the most specific wording first, so "software license revenue" is
# revenue_software before it is revenue.  Metrics the vocabulary does not have yet (see
# WANTED_METRICS) are drafted as `note` events whose review note names the metric wanted;
# when the metric registry lands, this table can be read from it.
METRICS = [
    ("new_contract_lifetime_revenue", _any(r"\blifetime (?:revenue|value)\b"), "money"),
    ("eps", _any(r"\b(?:(?:adjusted |GAAP |non-GAAP )?(?:diluted |basic )?(?:EPS|earnings per (?:diluted |basic |ordinary )?share|"
                 r"(?:net )?(?:loss|income) per (?:diluted |basic |ordinary )?share))\b", r"\bper diluted share\b",
                 r"每股(?:收益|虧損|亏损)"), "money"),
    ("adjusted_ebitda_margin", _any(r"\badjusted EBITDA margins?\b"), "percent"),
    ("operating_margin", _any(r"\b(?:adjusted |GAAP )?operating (?:income |profit )?margins?\b", r"營業利潤率|营业利润率"), "percent"),
    ("net_margin", _any(r"\bnet (?:income |profit )?margins?\b"), "percent"),
    ("operating_cash_flow", _any(r"\b(?:net )?cash (?:flows? )?(?:from|provided by|generated (?:by|from)) operati(?:ons|ng activities)\b",
                                 r"\boperating cash flows?\b", r"\bcash flows? from operations\b", r"經營現金流|经营现金流"), "money"),
    ("free_cash_flow", _any(r"\bfree cash flows?\b", r"自由現金流|自由现金流"), "money"),
    ("capital_expenditures", _any(r"\bcapital expenditures?\b", r"\bcapex\b", r"資本開支|资本开支"), "money"),
    ("share_repurchases", _any(r"\b(?:share|stock) (?:repurchases?|buybacks?)\b", r"\brepurchases\b", r"\brepurchased\b",
                               r"\bbought back\b"), "money"),
    ("growth_over_market", _any(r"\bgrowth over (?:the )?market\b", r"\b(?:above|below) market\b"), "percent"),
    ("operating_income", _any(r"\b(?:adjusted |GAAP )?operating (?:income|profit|earnings)\b", r"\bincome from operations\b",
                              r"營業利潤|营业利润|經營利潤|经营利润"), "money"),
    ("total_debt", _any(r"\b(?:total |net )?debt\b", r"\bborrowings\b"), "money"),
    ("jobs_created", _any(r"\bnew jobs\b", r"\bjobs\b"), "people"),
    ("design_wins", _any(r"\bdesign[- ]wins\b", r"\bdesign[- ]ins\b"), "projects"),
    ("revenue_growth", _any(r"\brevenue growth\b", r"\bgrowth in (?:total )?revenue\b", r"營收成長|营收增长"), "percent"),
    ("revenue_goods", _any(r"\b(?:goods|hardware|product) (?:sales )?revenues?\b", r"\brevenues? from (?:the )?sales? of goods\b",
                           r"\bsales of goods\b", r"商品收入|硬件收入|硬體收入"), "money"),
    ("revenue_software", _any(r"\bsoftware(?: licen[cs]e)? revenues?\b", r"\blicen[cs]e revenues?\b", r"軟體授權收入|软件授权收入"), "money"),
    ("revenue_services", _any(r"\bservices? revenues?\b", r"\brevenues? from services\b", r"服務收入|服务收入"), "money"),
    ("revenue_international", _any(r"\b(?:international|overseas|foreign) (?:revenues?|sales|business)\b",
                                   r"\brevenues? from (?:outside|overseas|international)\b",
                                   r"\bbusiness from (?:the )?(?:international|global|overseas)\b"), "money|percent"),
    ("gross_margin", _any(r"\bgross (?:profit )?margins?\b", r"毛利率"), "percent"),
    ("gross_profit", _any(r"\bgross profits?\b", r"毛利(?!率)"), "money"),
    ("research_and_development_expenses", _any(r"\b(?:R&D|research and development) (?:expenses|expenditures?|spending|costs)\b",
                                               r"研發費用|研发费用"), "money"),
    ("selling_general_administrative_expenses", _any(r"\bSG&A\b", r"\bselling,? general,? and administrative expenses\b"), "money"),
    ("operating_expenses", _any(r"\boperating expenses\b", r"\bOpEx\b", r"\boperating costs\b", r"營運費用|营运费用|營業費用|营业费用"), "money"),
    ("operating_loss", _any(r"\b(?:loss|losses) from operations\b", r"\boperating loss(?:es)?\b", r"經營虧損|经营亏损"), "money"),
    ("net_loss", _any(r"\bnet loss(?:es)?\b", r"淨虧損|净亏损"), "money"),
    ("net_income", _any(r"\bnet (?:income|profit|earnings)\b", r"\bprofitab(?:le|ility)\b", r"淨利潤|净利润|盈利"), "money"),
    ("adjusted_ebitda", _any(r"\badjusted EBITDA\b", r"經調整 ?EBITDA|经调整 ?EBITDA"), "money"),
    ("ebitda", _any(r"\bEBITDA\b"), "money"),
    ("revenue", _any(r"\b(?:total |net |quarterly |annual |full[- ]year )?revenues?\b", r"\bnet sales\b", r"\bturnover\b",
                     r"營收|营收|營業收入|营业收入|總收入|总收入"), "money"),
    ("cash", _any(r"\bcash(?: and cash equivalents| and equivalents)?(?: and restricted cash)?\b(?! flow)",
                  r"\bcash (?:position|balance|reserves)\b", r"現金|现金"), "money"),
    ("backlog", _any(r"\b(?:order )?backlog\b", r"\border book\b", r"\bpipeline of (?:orders|business|design wins)\b",
                     r"\b(?:order|design[- ]win|revenue) pipeline\b", r"在手訂單|在手订单"), "money"),
    ("market_share", _any(r"\bmarket share\b", r"\bpenetration(?: rate)?s?\b", r"市佔率|市占率|滲透率|渗透率"), "percent"),
    ("shipments", _any(r"\bshipments?\b", r"\bshipped\b", r"\bship(?:s|ping)?\b(?! (?:with|to)\b)", r"\bunits sold\b", r"出貨|出货"), "units"),
    ("deliveries", _any(r"\bdeliver(?:ies|ed|ing|y)\b", r"交付"), "vehicles"),
    ("car_sales", _any(r"\b(?:vehicle|car|auto|automobile|EV|NEV|electric vehicle|passenger vehicle) sales\b",
                       r"\bsales of (?:vehicles|cars)\b", r"\bexports?\b", r"汽車銷量|汽车销量|銷量|销量"), "vehicles"),
    ("vehicles_cumulative", _any(r"\bvehicles on the road\b", r"\bcumulative(?:ly)? (?:vehicles|installations|shipments|deliveries)\b",
                                 r"\bvehicles worldwide\b", r"\b(?:powering|present in|installed in|integrated into)\b.{0,40}\bvehicles\b",
                                 r"累計|累计"), "vehicles"),
    ("vehicles_shipped_with", _any(r"\bvehicles (?:were )?added\b", r"\bnew vehicles (?:equipped|shipped)\b"), "vehicles"),
    ("customers", _any(r"\bcustomers\b", r"\bOEMs\b", r"\bclients\b", r"\b(?:automakers|carmakers)\b", r"客戶|客户"), "customers"),
    ("brands", _any(r"\bbrands\b", r"品牌"), "brands"),
    ("employees", _any(r"\bemployees\b", r"\bheadcount\b", r"\bstaff\b", r"員工|员工"), "employees"),
    ("patents", _any(r"\bpatents?\b", r"\bpatent applications\b", r"專利|专利"), "patents"),
]
# every other metric of metrics.yml (or the log's own) is found by the words its definition lists
_VALUE_KINDS = {"currency": "money", "per_share": "money", "percent": "percent", "points": "percent"}
_COUNTED_IN = {"stores": "stores", "charging_stations": "stations", "markets_served": "countries",
               "vehicle_models": "models", "design_wins": "projects", "employees": "employees"}
_WORDED = {metric for metric, _, _ in METRICS}
METRICS += [(key, _any(*(r"\b" + re.escape(word).replace(r"\ ", r"\s+") + r"\b" for word in spec["words"])),
             _VALUE_KINDS.get(spec["unit"], _COUNTED_IN.get(key, "vehicles")))
            for key, spec in vocabulary.metrics().items() if key not in _WORDED and spec["words"]]

# metrics the wording above names that the vocabulary does not have (yet): what each is, for the
# note's topic and its review note.  Every other metric comes from metrics.yml.
WANTED_METRICS = {"jobs_created": "jobs created"}
# which metric kind a figure is: metrics.yml's section says (financials or operations)
FINANCIAL_METRICS = {key for key, spec in vocabulary.metrics().items() if spec["section"] == "financials"}
# a metric written with a loss word is a negative amount ("adjusted EBITDA loss of RMB210 million")
LOSS_AFTER_METRIC = re.compile(r"^\W*(?:loss|losses|deficit|was negative|虧損|亏损)", re.IGNORECASE)
VEHICLE_METRICS = {"deliveries", "car_sales", "vehicles_cumulative", "vehicles_shipped_with"}

# ---- guidance: a metric spoken of as a target or an expectation ----
GUIDANCE = _any(
    r"\b(?:expect|expects|expected|expecting|anticipate[sd]?|anticipating|forecast(?:s|ed)?|projected|projecting)\b",
    r"\b(?:guidance|outlook|target(?:s|ed|ing)?|goal|aim(?:s|ing)? to|on track to|plan(?:s|ned)? to|intend(?:s|ed)? to)\b",
    r"\b(?:will|would|should) (?:reach|achieve|deliver|hit|exceed|grow|be|keep|remain|maintain)\b",
    r"預計|预计|目標|目标|指引|有望",
)

# ---- kinds other than metrics: (kind, wording), tried in this order ----
KIND_RULES = [
    ("investment", _any(
        r"\binvest(?:s|ed|ing)?\b(?:\s+[\w$.,-]+){0,8}?\s+in\b",
        r"\binvestments? (?:of|in)\b",
        r"\b(?:strategic|equity|minority|majority) (?:investment|stake)\b",
        r"\bshare subscription\b",
        r"\bsubscri(?:be|bed|bes|ption) (?:for|to)\b.{0,60}\bshares\b",
        r"\b(?:acquire|acquires|acquired|purchase|purchases|purchased|buy|buys|bought)\b.{0,60}\b(?:newly[- ]issued|ordinary|common|preferred) shares\b",
        r"\bstake in\b",
        r"投資|投资|入股")),
    ("funding", _any(
        r"\braise[sd]?\b.{0,60}\b(?:funding|financing|capital|in a (?:series|round))\b",
        r"\b(?:funding|financing) round\b", r"\bseries [A-F] (?:round|financing)\b", r"\bprivate placement\b",
        r"融資|融资")),
    ("acquisition", _any(
        r"\bacquir(?:e|es|ed|ing)\b(?!.{0,60}\bshares\b)", r"\bacquisition of\b", r"\bmerg(?:e|es|ed|er) with\b",
        r"\btakeover of\b", r"收購|收购|併購|并购")),
    ("design_win", _any(
        r"\b(?:secured|won|achieved|received|added|landed)\b.{0,40}?\bdesign[- ]wins?\b", r"\bdesign[- ]wins?\b", r"\bdesign[- ]ins?\b", r"\bnominated (?:by|as)\b", r"\bsourcing (?:decision|nomination)\b",
        r"設計定點|设计定点|定點|定点|贏得.{0,10}設計|赢得.{0,10}设计")),
    ("contract_win", _any(
        r"\b(?:contract|project|program|programme|order|deal|tender)s? wins?\b",
        r"\bwon\b.{0,60}\b(?:contract|order|project|tender|bid|deal)s?\b",
        r"\bsecured\b.{0,80}?\b(?<!design )(?<!design-)(?:contract|order|project|program|deal|win)s?\b",
        r"\bawarded (?:a |the |an? )?(?:\w+ ){0,3}(?:contract|order)\b",
        r"\bselected\b.{0,40}\bas (?:a |the )?(?:\w+ )?supplier\b",
        r"\b(?:supply|purchase) (?:agreement|contract|deal|order)s?\b",
        r"\bto supply\b", r"\bwill (?:supply|deliver|provide)\b", r"\bsupplying\b.{0,80}\bfor\b",
        r"\b(?:new )?business (?:wins?|awards?)\b", r"\bawarded (?:new )?business\b", r"\bsigned (?:\w+ ){0,2}agreements? for\b.{0,40}\bprojects?\b",
        r"合約|合同|訂單|订单|中標|中标")),
    ("certification", _any(
        r"\bcertifi(?:ed|cation|cations|cates?)\b", r"\baccredit(?:ed|ation)\b",
        r"\b(?:granted|obtained|achieved|received|passed|awarded)\b.{0,60}\b(?:ISO|IATF|IEC|ASPICE|TISAX|ASIL)\b",
        r"認證|认证")),
    ("facility_opening", _any(
        r"\b(?:open(?:ed|s|ing)?|inaugurat(?:ed|es|ion)|establish(?:ed|es|ing)?|buil[dt]|set up|broke ground on|"
        r"start(?:ed)? (?:of )?(?:our |its )?production at|completed|commissioned)\b.{0,80}?"
        r"\b(?:factory|factories|plant|facility|facilities|headquarters|office|offices|site|campus|"
        r"(?:R&D|research|innovation|technology|engineering|data|delivery|service|development) cent(?:er|re)s?|"
        r"manufacturing (?:base|hub)|production line|gigafactory)\b",
        # "the growth includes a new battery enclosures facility in Brampton"
        r"\b(?:includes?|including|adds?|announced|plans?|building|will (?:build|open)) (?:a|its|the) new\b(?:\s[\w-]+){0,4}?\s"
        r"(?:factory|plant|facility|site|campus|(?:R&D|research|engineering|technology) cent(?:er|re))\b",
        r"(?:開設|开设|啟用|启用|投產|投产|落成|開業|开业).{0,20}(?:工廠|工厂|總部|总部|中心|基地)|(?:工廠|工厂|總部|总部|中心|基地).{0,20}(?:開設|开设|啟用|启用|投產|投产|落成|開業|开业)")),
    ("headquarters", _any(
        r"\bheadquartered (?:in|at)\b", r"\bheadquarters (?:is|are|will be) (?:located )?(?:in|at)\b",
        r"\b(?:move[sd]?|moving|relocat(?:e|ed|es|ing)) (?:its|our|the) (?:global |international )?headquarters\b",
        r"總部位於|总部位于")),
    ("award", _any(
        r"\b(?:won|wins|received|receives|receiving|earned|given|presented with|honou?red with)\b.{0,60}\b(?:award|prize|accolade)\b",
        r"\b(?:award|prize)\b.{0,40}\b(?:from|by|at)\b", r"\brecogni[sz]ed (?:as|by)\b", r"\bnamed (?:one of|to the|as)\b",
        r"\branked\b", r"獲獎|获奖|榮獲|荣获")),
    ("launch", _any(
        r"\blaunch(?:ed|es|ing)?\b", r"\bunveil(?:ed|s|ing)?\b", r"\bintroduc(?:ed|es|ing)\b", r"\bdebut(?:ed|s)?\b",
        r"\bstart(?:ed|s)? (?:of )?(?:mass |series )?production\b", r"\bSOP\b", r"\b(?:entered|enters|into) mass production\b",
        r"\bmass production of\b",
        # "Production is set to begin in August 2025", "mass production scheduled for March 2026"
        r"\b(?:mass |series )?production (?:is |was )?(?:set|planned|scheduled|expected|due) (?:to (?:begin|start)|for)\b",
        r"\bproduction (?:began|begins|started|starts|will (?:begin|start))\b",
        r"\bbegan (?:sales|deliveries|shipping|shipments|production)\b", r"\bwent on sale\b",
        r"\bdeliveries (?:are |were )?(?:expected )?to (?:begin|start)\b", r"\brol(?:led|ls|ling) out\b",
        r"\bupgraded\b", r"\breleased\b", r"\bshowcas(?:ed|es|ing)\b",
        r"\b(?:enter(?:s|ed|ing)?|hit(?:s|ting)?|reach(?:es|ed|ing)?) the (?:market|road|streets)\b",
        r"推出|發布|发布|上市|亮相|量產|量产")),
    ("partnership", _any(
        r"\bpartner(?:ed|s|ing)? with\b", r"\bpartnerships? with\b",
        r"\b(?:signed|entered into|formed|announced|strengthened|expanded|deepened|extended|established|began|renewed)\b.{0,50}"
        r"\b(?:partnership|alliance|collaboration|cooperation|agreement|memorandum of understanding|MoU|joint venture)\b",
        r"\b(?:partnership|alliance|collaboration|cooperation) (?:agreement )?(?:with|between)\b",
        r"\bcollaborat(?:e|es|ed|ing) with\b", r"\bjoint venture\b", r"\bteam(?:ed|s)? up with\b",
        r"\b(?:began|begin|begun|started) working with\b", r"\bjointly develop\b",
        r"\b(?:discussions|talks|negotiations) (?:are |were )?(?:also )?(?:underway|ongoing|in progress|continuing) with\b",
        r"\bin (?:discussions|talks|negotiations) with\b",
        r"\b(?:strategic|global|long-term|technology|commercial)(?: global| strategic)? (?:partnership|alliance)\b",
        r"合作夥伴|合作伙伴|合作關係|合作关系|攜手|携手|合資|合资|(?:與|与|和|同).{1,20}?(?:合作|簽署|签署)")),
    ("customer", _any(
        r"\bcounts?\b.{0,60}\bas (?:a|an) (?:customer|client)\b",
        r"\b(?:an? |important |key |major |new )(?:customer|client) (?:of|for)\b",
        r"\b(?:is|are|was|were) (?:a |an )?(?:(?:very )?important |key |major )?(?:customer|client)s?\b",
        r"\b(?:is|are) (?:now )?(?:using|deploying|adopting)\b",
        r"\b(?:powered|driven) by (?:the power of )?\b", r"\b(?:is|are) powering\b", r"\bpower(?:s|ing)? the\b.{0,40}\bof\b",
        r"\bsuppl(?:y|ies|ied|ying) (?:to|for)\b", r"\bshipments with\b", r"\bequipped with\b",
        r"\b(?:shipped|delivered|sold)\b[^.;]{0,60}?\bto\b(?! (?:support|help|enable|date)\b)",
        # "works with 59 automakers, including BMW, Honda and Stellantis": each one named is a customer
        r"\b(?:customers|clients|automakers|carmakers|OEMs)\b[^.;]{0,40}?\bincluding\b",
        r"\b(?:used|deployed|adopted|installed|integrated) in\b[^.;]{0,60}?\bincluding\b",
        # "the Lynk & Co 07 comes integrated with our solution" (but "our stack is integrated with X's services"
        # is not a customer relation)
        r"\b(?:come|comes|came|is|are|was|were) (?:fully )?integrated with (?:our|its|the company's)\b",
        r"\b(?:applications|solutions|products|technology) (?:are|is) (?:now )?(?:in|used in)\b",
        r"(?:成為|成为|是|為|为)(?:我們的|我们的|其)?(?:重要|主要|關鍵|关键)?(?:客戶|客户)|(?:客戶|客户)包括")),
    ("founding", _any(
        r"\bfounded\b", r"\bco-?found(?:er|ers|ed)\b", r"\bestablished (?:in|as) \b", r"\bincorporated in\b",
        r"\bestablished the joint venture\b", r"成立於|成立于|創立|创立")),
    ("ownership", _any(
        r"\b(?:majority|minority|controlling|largest|principal) (?:owner|shareholder|stakeholder)\b",
        r"\bowned by\b", r"\bwholly[- ]owned\b", r"\bsubsidiary of\b", r"\bparent company\b",
        r"\b(?:holds|owns) (?:a |an )?(?:\d+(?:\.\d+)?% )?(?:stake|interest|share)\b",
        r"\b(?:group|empire|portfolio|family of companies)\b.{0,20}\b(?:that )?includ(?:es|ing)\b",
        r"\b(?:tech|technology|software|financing|finance) arm\b", r"控股|持股|旗下")),
    ("leadership", _exact(
        r"\b(?:Chief (?:[A-Z]\w+(?: and| &)? ){1,3}Officer|Chief Executive|CEO|CFO|COO|CTO|Chairman|Chairwoman|(?:Vice |Executive )?President|"
        r"Managing Director|General Manager|Head of [A-Z]\w+)\b",
        # a person's role in lower case after the name: "Luo Heng, head of algorithms", "Kevin Clark, chairman and chief executive officer"
        r"\b[A-Z][a-z]+ [A-Z][a-z]+,\s+(?:the company's\s+|its\s+|our\s+)?(?:co-?founder|founder|chairman|chairwoman|president|"
        r"chief\s+\w+(?:\s+officer)?|head\s+of\s+\w+|vice\s+president|general\s+manager|managing\s+director)\b",
        r"首席執行官|首席执行官|董事長|董事长|執行長|执行长|財務長|财务长|營運長|营运长")),
    ("listing", _exact(
        r"\((?:NASDAQ|Nasdaq|NYSE|NYSE American|HKEX|SEHK|HKSE|SSE|SZSE|LSE|TSX|ASX|OTC\w*)\s*:\s*[A-Z0-9.]{1,8}\)",
        r"\blisted on (?:the )?(?:Nasdaq|NYSE|New York Stock Exchange|Hong Kong Stock Exchange|London Stock Exchange)\b",
        r"\b(?:IPO|initial public offering)\b")),
]
# words before a figure that make it someone else's: analysts' consensus, market expectations
NOT_THE_COMPANYS = re.compile(r"(?:(?:\b[Cc]onsensus|Consensus|Expected|Estimated|\b[Aa]nalysts?'?|Beat/Miss|[Bb]eat by|[Mm]iss(?:ed)? by)"
                              r"(?: [A-Za-z]+){0,2}\s*[+-]?$)")
# kinds whose second party may come as a list ("partnerships with A, B and C"): one event per party
LIST_KINDS = {"customer", "partnership", "design_win", "contract_win", "investment"}
RELATIONAL_KINDS = {"investment", "funding", "acquisition", "contract_win", "design_win", "partnership", "customer",
                    "ownership", "founding", "leadership", "award"}
# kinds that are events in time: a sentence speaking of them without any date is commentary
# ("the launch was important for us"), not a fact to record
NEEDS_A_DATE = {"launch"}
# partnership nouns ("our cooperation with X") state a fact only with a date; verbs
# ("partnered with", "signed an agreement") state one by themselves
PARTNERSHIP_NOUN = re.compile(r"^(?:(?:strategic|global|long-term|technology|commercial)(?: global| strategic)? )?"
                              r"(?:partnership|alliance|collaboration|cooperation)", re.IGNORECASE)
GUIDANCE_NOUN = re.compile(r"\b(?:guidance|outlook|target|goal|forecast|on track to)\b|指引|目標|目标", re.IGNORECASE)
# words before a figure that name what it is ("Loss per share was RMB0.84")
FIGURE_VERB = re.compile(r"\b(?:was|were|is|are|be|ranged? from|ranges from|reached|totall?ed|came in at|stood at|amounted to|occupies|occupied|"
                         r"accounted for|accounts for|contributed|represented|represents|of|at|to|hit|hitting|"
                         r"increased|decreased|grew|rose|fell|declined)\b", re.IGNORECASE)

# kinds whose facts hold "now": with no date in the sentence they are dated by the publication
STATE_KINDS = {"leadership", "listing", "headquarters", "ownership", "customer", "partnership"}

# sentences that are never facts: questions, disclaimers, call logistics
NOT_A_FACT = _any(
    r"\bforward[- ]looking statements?\b", r"\bsafe harbou?r\b", r"\breconciliation of\b",
    r"\bnot intended to be (?:investing|investment) advice\b", r"\bsponsored content\b",
    r"\b(?:hand|turn|pass) (?:the call|it) (?:over|back)\b", r"\bQ&A session\b", r"\bprepared remarks\b",
    r"\bthank you for (?:joining|your question|taking)\b",
    r"\b(?:my|the|a) (?:first|second|third|next|last|final|follow-up) question\b", r"\bquestions? (?:is|are) (?:on|about|regarding)\b",
)

# ---- attribute wording ----
# a product named near these words is a vehicle ("its Hongqi Tiangong 05 all-electric sedan")
VEHICLE_WORDS = re.compile(r"\b(?:vehicles?|cars?|SUVs?|sedans?|saloons?|hatchbacks?|coupes?|MPVs?|BEVs?|EVs?|PHEVs?|"
                           r"pickups?|trucks?|vans?|models?|hyper-?(?:SUV|GT))\b|車型|车型|轎車|轿车", re.IGNORECASE)
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
STANDARD = re.compile(r"\b(?:ISO|IATF|IEC|SAE|UN ?R|GB/T)[ /]?\d{3,5}(?:[-:]\d{1,4})*\b|\bASPICE(?: v?\d(?:\.\d)?)?|"
                      r"\bAutomotive SPICE\b|\bTISAX\b|\bASIL[- ]?[A-D]\b|\bCMMI\b")
LEVEL = re.compile(r"\b(?:CL ?\d|ML ?\d|AL ?\d|ASIL[- ]?[A-D]|Level \d|Capability Level \d)\b")
EXCHANGE_TICKER = re.compile(r"\((?P<exchange>NASDAQ|Nasdaq|NYSE(?: American)?|HKEX|SEHK|HKSE|SSE|SZSE|LSE|TSX|ASX|OTC\w*)\s*:\s*"
                             r"(?P<ticker>[A-Z0-9.]{1,8})\)")
ROLE = re.compile(
    r"(?:(?:Co-)?[Ff]ounder|Chairman of the Board|Chairman|Chairwoman|(?:Vice |Executive )?President|CEO|CFO|COO|CTO|"
    r"Chief (?:[A-Z]\w+(?: and| &)? ){1,3}Officer|Chief Executive|Managing Director|General Manager|Head of [A-Z]\w+(?: [A-Z]\w+)?|IR|Investor Relations)"
    r"(?:(?:,| and| &) (?:the )?(?:(?:Co-)?[Ff]ounder|Chairman of the Board|Chairman|Chairwoman|(?:Vice |Executive )?President|"
    r"CEO|CFO|COO|CTO|Chief [A-Z]\w+(?: [A-Z]\w+)? Officer|Managing Director))*")
# the same roles written in lower case after a name ("Luo Heng, head of algorithms for BPU")
ROLE_LOWER = re.compile(
    r"(?<=, )(?:(?:the company's|its|our)\s+)?(?P<role>(?:co-?founder|founder|chairman|chairwoman|(?:vice\s+)?president|"
    r"chief\s+\w+\s+officer|chief\s+executive|head\s+of\s+\w+(?:\s+for\s+\w+)?|general\s+manager|managing\s+director)"
    r"(?:(?:,\s+and|,|\s+and)\s+(?:co-?founder|founder|chairman|(?:vice\s+)?president|chief\s+\w+\s+officer|CEO|CFO|CTO|COO))*)",
    re.IGNORECASE)
PERSON_BEFORE_ROLE = re.compile(r"(?P<name>[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}),\s+$")
PERSON_NAME = re.compile(r"\b(?:Mr\.|Ms\.|Mrs\.|Dr\.)\s(?P<name>[A-Z][a-z]+(?: [A-Z][a-z]+){1,2})|"
                         r"\bsaid (?P<said>[A-Z][a-z]+(?: [A-Z][a-z]+){1,2})\b")
FACILITY = re.compile(
    r"(?P<facility>(?:(?:its|our|the|a|an|new|first|global|international|regional|European|manufacturing|production|"
    r"[A-Z][\w-]+)\s){0,4}(?:factory|plant|facility|headquarters|office|site|campus|"
    r"(?:R&D|research|innovation|technology|engineering|data|delivery|service|development) cent(?:er|re)|"
    r"manufacturing (?:base|hub)|production line|gigafactory))(?:\s+in\s+(?!(?:"
    + MONTHS + r")\b)(?P<location>[A-Z][\w-]+(?:,? [A-Z][\w-]+){0,2}))?")
LOCATION = re.compile(rf"\b(?:in|at)\s+(?P<location>(?!(?:{MONTHS})\b)[A-Z][a-z][\w-]*(?:,? (?!(?:{MONTHS})\b)[A-Z][a-z][\w-]*){{0,2}})")
CUSTOMER_TYPE = re.compile(
    r"(?P<type>(?:one of |an? |the )?(?:[\w’'-]+ ){0,4}?(?:automakers?|carmakers?|OEMs?|brands?|manufacturers?))\b")
AWARD_NAME = re.compile(r"(?P<award>(?:the )?(?:[A-Z][\w&-]*\s(?:&\s)?){1,6}(?:[Aa]ward|[Pp]rize))")
SCOPE = re.compile(r"\bto (?P<scope>(?:jointly )?(?:develop|accelerate|build|integrate|deploy|provide|supply|offer|bring|create|"
                   r"co-develop|deliver|expand)\b[^.;:]{3,120}?)(?=[,.;:]|$)")
STATUS_WORDS = [  # (wording, status), first match wins
    (re.compile(r"\bsubject to (?:customary )?closing conditions\b|\bexpected to close\b|\bpending\b", re.I), "pending closing"),
    (re.compile(r"\b(?:completed|closed)\b", re.I), "completed"),
    (re.compile(r"\b(?:strengthened|deepened|expanded|extended)\b", re.I), "strengthened"),
    (re.compile(r"\bsigned\b", re.I), "signed"),
    (re.compile(r"\b(?:announced|announces)\b", re.I), "announced"),
    (re.compile(r"\b(?:underway|in discussions?|discussions)\b", re.I), "in discussion"),
]
LAUNCH_STAGE = [
    (re.compile(r"\bproduction (?:is |was )?(?:set|planned|scheduled|expected|due) (?:to (?:begin|start)|for)\b|"
                r"\bproduction will (?:begin|start)\b", re.I), "start of production (planned)"),
    (re.compile(r"\b(?:start(?:ed|s)? (?:of )?(?:mass |series )?production|SOP|mass production)\b", re.I), "start of production"),
    (re.compile(r"\bdeliveries\b", re.I), "deliveries"),
    (re.compile(r"\b(?:began|begin) sales\b|\bwent on sale\b", re.I), "sales began"),
    (re.compile(r"\bdebut(?:ed|s)?\b", re.I), "debuted"),
    (re.compile(r"\bunveil(?:ed|s)?\b", re.I), "unveiled"),
    (re.compile(r"\bupgrad(?:ed|es)\b", re.I), "upgraded"),
    (re.compile(r"\bshowcas(?:ed|es|ing)\b", re.I), "showcased"),
    (re.compile(r"\b(?:will|to) (?:launch|be launched)|\bexpected\b|\bplan(?:s|ned)?\b", re.I), "planned"),
    (re.compile(r"\blaunch(?:ed|es|ing)?\b", re.I), "launched"),
]
