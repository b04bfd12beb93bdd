"""Northwind: the simulated company's fixed facts (entities, charts of accounts, banks,
vendors, plans, products). Volumes and behaviour live in engine.py."""

from __future__ import annotations

from dataclasses import dataclass, field

US = "US"
UK = "UK"

ENTITIES = {
    US: {
        "code": US,
        "name": "Northwind US Inc",
        "ledger": "qbo",
        "ledger_company_id": "9341453178520019",  # QBO realmId
        "currency": "USD",
        "country": "US",
    },
    UK: {
        "code": UK,
        "name": "Northwind UK Ltd",
        "ledger": "xero",
        "ledger_company_id": "b4f5c1d2-7e3a-4c8b-9f10-2a6d8e4c1b7f",  # Xero tenantId
        "currency": "GBP",
        "country": "GB",
    },
}
REPORTING_CURRENCY = "USD"

HUBSPOT_PORTAL_ID = 24681357
HUBSPOT_APP_ID = 3141592
SHOP_DOMAIN = "northwind-uk.myshopify.com"
SHOPIFY_API_VERSION = "2025-07"
STRIPE_API_VERSION = "2025-06-30.basil"
STRIPE_ACCOUNT = "acct_1NorthwindUS0000"
PLAID_VERSION = "2020-09-14"


# --- charts of accounts -------------------------------------------------------------------
# key: (name, number/code, QBO AccountType, QBO AccountSubType, QBO Classification)
QBO_ACCOUNTS = {
    "bank_operating": ("Chase Operating", "1000", "Bank", "Checking", "Asset"),
    "bank_payroll": ("Chase Payroll", "1010", "Bank", "Checking", "Asset"),
    "ar": ("Accounts Receivable (A/R)", "1100", "Accounts Receivable", "AccountsReceivable", "Asset"),
    "stripe_clearing": ("Stripe Clearing", "1210", "Other Current Asset", "OtherCurrentAssets", "Asset"),
    "ic_receivable": ("Due from Northwind UK", "1300", "Other Current Asset", "LoansToOthers", "Asset"),
    "ap": ("Accounts Payable (A/P)", "2000", "Accounts Payable", "AccountsPayable", "Liability"),
    "payroll_liab": ("Payroll Liabilities", "2100", "Other Current Liability", "PayrollTaxPayable", "Liability"),
    "opening_equity": ("Opening Balance Equity", "3000", "Equity", "OpeningBalanceEquity", "Equity"),
    "retained": ("Retained Earnings", "3100", "Equity", "RetainedEarnings", "Equity"),
    "rev_services": ("Services Revenue", "4000", "Income", "ServiceFeeIncome", "Revenue"),
    "rev_subscriptions": ("Subscription Revenue", "4100", "Income", "SalesOfProductIncome", "Revenue"),
    "rev_refunds": ("Refunds & Allowances", "4900", "Income", "DiscountsRefundsGiven", "Revenue"),
    "cogs_hosting": ("Cloud Hosting", "5000", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
    "cogs_contractors": ("Contractors", "5100", "Cost of Goods Sold", "CostOfLaborCos", "Expense"),
    "salaries": ("Salaries & Wages", "6000", "Expense", "PayrollExpenses", "Expense"),
    "payroll_tax": ("Payroll Taxes", "6010", "Expense", "PayrollExpenses", "Expense"),
    "merchant_fees": ("Merchant Fees", "6100", "Expense", "BankCharges", "Expense"),
    "chargebacks": ("Chargebacks", "6150", "Expense", "OtherMiscellaneousServiceCost", "Expense"),
    "rent": ("Rent", "6200", "Expense", "RentOrLeaseOfBuildings", "Expense"),
    "software": ("Software & SaaS", "6300", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense"),
    "professional": ("Professional Fees", "6400", "Expense", "LegalProfessionalFees", "Expense"),
    "bank_fees": ("Bank Fees", "6500", "Expense", "BankCharges", "Expense"),
    "interest_income": ("Interest Income", "7000", "Other Income", "InterestEarned", "Revenue"),
    # Last, so the accounts before it keep their ids.
    "share_capital": ("Preferred Stock", "3200", "Equity", "PreferredStock", "Equity"),
    # QBO's own account for realised and unrealised gains and losses on foreign documents
    "fx_gain_loss": ("Exchange Gain or Loss", "7900", "Other Expense", "ExchangeGainOrLoss", "Expense"),
    # the management fee charged to Northwind UK (eliminated on consolidation)
    "ic_revenue": ("Intercompany Service Revenue", "4500", "Other Income", "OtherMiscellaneousIncome", "Revenue"),
}

# key: (name, code, Xero Type, Xero Class, SystemAccount or "")
XERO_ACCOUNTS = {
    "bank_current": ("Barclays Current", "090", "BANK", "ASSET", ""),
    "bank_reserve": ("Barclays Reserve", "091", "BANK", "ASSET", ""),
    "ar": ("Accounts Receivable", "610", "CURRENT", "ASSET", "DEBTORS"),
    "shopify_clearing": ("Shopify Clearing", "620", "CURRENT", "ASSET", ""),
    "ap": ("Accounts Payable", "800", "CURRLIAB", "LIABILITY", "CREDITORS"),
    "wages_payable": ("Wages Payable - Payroll", "814", "CURRLIAB", "LIABILITY", ""),
    "vat": ("VAT", "820", "CURRLIAB", "LIABILITY", "GST"),
    "shopify_vat": ("VAT on Online Sales", "821", "CURRLIAB", "LIABILITY", ""),
    "paye_payable": ("PAYE & NI Payable", "825", "CURRLIAB", "LIABILITY", ""),
    "ic_payable": ("Due to Northwind US", "835", "CURRLIAB", "LIABILITY", ""),
    "retained": ("Retained Earnings", "960", "EQUITY", "EQUITY", "RETAINEDEARNINGS"),
    "opening_equity": ("Opening Balance Equity", "970", "EQUITY", "EQUITY", ""),
    "rev_services": ("Sales - Services", "200", "REVENUE", "REVENUE", ""),
    "rev_store": ("Sales - Online Store", "210", "SALES", "REVENUE", ""),
    "rev_shipping": ("Shipping Income", "215", "REVENUE", "REVENUE", ""),
    "rev_returns": ("Sales Returns", "290", "REVENUE", "REVENUE", ""),
    "interest_income": ("Interest Income", "270", "OTHERINCOME", "REVENUE", ""),
    "cogs_goods": ("Cost of Goods Sold", "310", "DIRECTCOSTS", "EXPENSE", ""),
    "cogs_shipping": ("Shipping & Packaging", "320", "DIRECTCOSTS", "EXPENSE", ""),
    "bank_fees": ("Bank Fees", "404", "EXPENSE", "EXPENSE", ""),
    "merchant_fees": ("Merchant Fees", "405", "EXPENSE", "EXPENSE", ""),
    "professional": ("Consulting & Accounting", "412", "EXPENSE", "EXPENSE", ""),
    "rent": ("Rent", "469", "OVERHEADS", "EXPENSE", ""),
    "salaries": ("Wages and Salaries", "477", "EXPENSE", "EXPENSE", ""),
    "employer_ni": ("Employer NI", "478", "EXPENSE", "EXPENSE", ""),
    "software": ("Subscriptions", "485", "EXPENSE", "EXPENSE", ""),
    "hosting": ("Cloud Hosting", "493", "EXPENSE", "EXPENSE", ""),
    # Xero's system accounts for FX on foreign documents (its default chart's codes)
    "fx_unrealised": ("Unrealised Currency Gains", "498", "EXPENSE", "EXPENSE", "UNREALISEDCURRENCYGAIN"),
    "fx_realised": ("Realised Currency Gains", "499", "EXPENSE", "EXPENSE", "REALISEDCURRENCYGAIN"),
    # the management fee Northwind US charges (eliminated on consolidation)
    "ic_charges": ("Intercompany Management Fees", "479", "OVERHEADS", "EXPENSE", ""),
}

# Card-spend accounts (simulate/cards.py), added after the charts so the accounts above keep
# their ids.
QBO_ACCOUNTS.update(
    {
        "travel": ("Travel", "6600", "Expense", "Travel", "Expense"),
        "meals": ("Meals & Entertainment", "6610", "Expense", "EntertainmentMeals", "Expense"),
        "advertising": ("Advertising & Marketing", "6700", "Expense", "AdvertisingPromotional", "Expense"),
        "office": ("Office Supplies", "6800", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense"),
    }
)
XERO_ACCOUNTS.update(
    {
        "travel": ("Travel - International", "494", "EXPENSE", "EXPENSE", ""),
        "meals": ("Entertainment", "420", "EXPENSE", "EXPENSE", ""),
        "advertising": ("Advertising", "400", "EXPENSE", "EXPENSE", ""),
        "office": ("Office Expenses", "453", "EXPENSE", "EXPENSE", ""),
    }
)

# Revenue (the truth definition): QBO accounts with AccountType "Income"; Xero accounts
# with Type REVENUE or SALES. Other income (interest) is not operating revenue.
QBO_REVENUE_TYPES = ("Income",)
XERO_REVENUE_TYPES = ("REVENUE", "SALES")


@dataclass(frozen=True)
class BankAccount:
    key: str  # ledger account key
    entity: str
    name: str
    official_name: str
    subtype: str
    mask: str
    currency: str
    opening_minor: int
    institution: str


BANK_ACCOUNTS = (
    BankAccount(
        "bank_operating",
        US,
        "Chase Operating",
        "CHASE BUSINESS COMPLETE CHECKING",
        "checking",
        "4417",
        "USD",
        850_000_00,
        "ins_56",
    ),
    BankAccount(
        "bank_payroll",
        US,
        "Chase Payroll",
        "CHASE PLATINUM BUSINESS CHECKING",
        "checking",
        "9021",
        "USD",
        120_000_00,
        "ins_56",
    ),
    BankAccount(
        "bank_current",
        UK,
        "Barclays Current",
        "Barclays Business Current Account",
        "checking",
        "7251",
        "GBP",
        300_000_00,
        "ins_118923",
    ),
    BankAccount(
        "bank_reserve",
        UK,
        "Barclays Reserve",
        "Barclays Business Premium Account",
        "savings",
        "0388",
        "GBP",
        150_000_00,
        "ins_118923",
    ),
)


@dataclass(frozen=True)
class Vendor:
    key: str
    entity: str
    ledger_name: str  # QBO Vendor DisplayName / Xero Contact Name
    bank_name: str  # Plaid `name` (the raw descriptor)
    merchant_name: str | None  # Plaid `merchant_name` (enriched)
    account: str  # expense account key
    kind: str  # "bill" (bill + payment) or "direct" (QBO Purchase / Xero SPEND)
    base_minor: int  # typical monthly amount
    variability: float  # relative noise; 0 = never varies
    growth: float = 0.0  # monthly growth of the base
    day: int = 1  # day of month the charge/bill happens
    terms_days: int = 0
    vat: bool = False  # UK: bill carries 20% input VAT
    pfc: tuple[str, str] = ("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES")


VENDORS = (
    # US (QuickBooks)
    Vendor(
        "aws_us",
        US,
        "Amazon Web Services",
        "AMAZON WEB SERVICES AWS.AMAZON.CO WA",
        "Amazon Web Services",
        "cogs_hosting",
        "bill",
        9_200_00,
        0.10,
        0.02,
        3,
        15,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    ),
    Vendor(
        "rent_us",
        US,
        "Landmark Properties LLC",
        "LANDMARK PROPERTIES LLC RENT ACH",
        None,
        "rent",
        "bill",
        14_500_00,
        0.0,
        0.0,
        1,
        0,
        pfc=("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT"),
    ),
    Vendor(
        "slack",
        US,
        "Slack Technologies",
        "SLACK T04NW2QL SLACK.COM CA",
        "Slack",
        "software",
        "direct",
        1_180_00,
        0.04,
        0.015,
        9,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    ),
    Vendor(
        "atlassian",
        US,
        "Atlassian",
        "ATLASSIAN SYDNEY NSW",
        "Atlassian",
        "software",
        "direct",
        870_00,
        0.0,
        0.0,
        12,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    ),
    Vendor(
        "hubspot_sub",
        US,
        "HubSpot Inc",
        "HUBSPOT INC HUBSPOT.COM MA",
        "HubSpot",
        "software",
        "direct",
        1_600_00,
        0.0,
        0.0,
        18,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    ),
    Vendor(
        "devon",
        US,
        "Devon Park Consulting",
        "DEVON PARK CONSULTING ACH PMT",
        None,
        "cogs_contractors",
        "bill",
        11_000_00,
        0.15,
        0.0,
        28,
        15,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_CONSULTING_AND_LEGAL"),
    ),
    Vendor(
        "mira",
        US,
        "Mira Chen Design",
        "MIRA CHEN DESIGN ACH PMT",
        None,
        "cogs_contractors",
        "bill",
        4_200_00,
        0.12,
        0.0,
        20,
        10,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_CONSULTING_AND_LEGAL"),
    ),
    Vendor(
        "gusto_fees",
        US,
        "Gusto",
        "GUSTO FEE 8F3K2Q",
        "Gusto",
        "professional",
        "direct",
        420_00,
        0.03,
        0.01,
        5,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_ACCOUNTING_AND_FINANCIAL_PLANNING"),
    ),
    # UK (Xero)
    Vendor(
        "aws_uk",
        UK,
        "AWS",
        "AWS EMEA AWS.AMAZON.CO LU",
        "Amazon Web Services",
        "hosting",
        "bill",
        2_300_00,
        0.10,
        0.02,
        3,
        15,
    ),
    Vendor(
        "rent_uk",
        UK,
        "Shoreditch Works Ltd",
        "SHOREDITCH WORKS LTD DD",
        None,
        "rent",
        "bill",
        6_000_00,
        0.0,
        0.0,
        1,
        0,
        vat=True,
        pfc=("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT"),
    ),
    Vendor("xero_sub", UK, "Xero (UK) Ltd", "XERO UK LTD DD", "Xero", "software", "direct", 59_00, 0.0, 0.0, 14),
    Vendor(
        "cotswold",
        UK,
        "Cotswold Manufacturing Ltd",
        "COTSWOLD MANUFACTURING FP",
        None,
        "cogs_goods",
        "bill",
        9_500_00,
        0.08,
        0.01,
        10,
        30,
        vat=True,
        pfc=("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE"),
    ),
    Vendor(
        "royal_mail",
        UK,
        "Royal Mail Group Ltd",
        "ROYAL MAIL GROUP DD",
        "Royal Mail",
        "cogs_shipping",
        "direct",
        1_350_00,
        0.08,
        0.01,
        6,
        pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_SHIPPING"),
    ),
)

# Planted: the same AWS relationship appears in QBO also as "Amazon.com" (a second vendor
# record a bookkeeper created), besides "Amazon Web Services" (QBO) and "AWS" (Xero).
AWS_ALIAS_NAME = "Amazon.com"
NEW_VENDOR = Vendor(
    "brightline",
    US,
    "Brightline Advisory Partners",
    "BRIGHTLINE ADVISORY PARTNERS WIRE",
    None,
    "professional",
    "bill",
    48_500_00,
    0.0,
    0.0,
    16,
    0,
    pfc=("GENERAL_SERVICES", "GENERAL_SERVICES_CONSULTING_AND_LEGAL"),
)


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    interval: str  # month | year
    unit_amount: int  # USD cents
    weight: float


PLANS = (
    Plan("starter_m", "Starter (monthly)", "month", 49_00, 0.40),
    Plan("team_m", "Team (monthly)", "month", 199_00, 0.30),
    Plan("team_y", "Team (annual)", "year", 1_990_00, 0.12),
    Plan("business_m", "Business (monthly)", "month", 499_00, 0.12),
    Plan("business_y", "Business (annual)", "year", 4_990_00, 0.06),
)


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    variant: str
    price_minor: int  # GBP incl. VAT
    grams: int


PRODUCTS = (
    Product("NW-MUG-01", "Northwind Enamel Mug", "Slate", 18_00, 350),
    Product("NW-TOTE-01", "Northwind Canvas Tote", "Natural", 24_00, 300),
    Product("NW-HOOD-01", "Northwind Hoodie", "Navy / M", 65_00, 650),
    Product("NW-HOOD-02", "Northwind Hoodie", "Grey / L", 65_00, 680),
    Product("NW-NOTE-01", "Northwind Notebook Set", "A5", 16_00, 400),
    Product("NW-BOTL-01", "Northwind Steel Bottle", "750ml", 28_00, 420),
    Product("NW-CAP-01", "Northwind Cap", "Olive", 22_00, 120),
    Product("NW-DESK-01", "Northwind Desk Mat", "Large", 39_00, 900),
)

# What the sales team sells in HubSpot (its product library): sku, name, unit price in the
# deal's currency's minor units per entity (None: priced per deal). Deals quoted with line
# items (simulate/hubspot.py) draw from it.
CRM_PRODUCTS = {
    "NW-PLAT-12": ("Platform subscription (12 months)", None),
    "NW-ONBOARD": ("Onboarding and implementation", None),
    "NW-TRAIN-DAY": ("Training day (on site)", {US: 1_500_00, UK: 1_200_00}),
    "NW-SUPPORT-PREM": ("Premium support (12 months)", {US: 3_000_00, UK: 2_400_00}),
}
# HubSpot product ids (`hs_product_id` on a line item), one per sku
CRM_PRODUCT_IDS = {sku: str(1_534_000_001 + n) for n, sku in enumerate(CRM_PRODUCTS)}

# Shopify presentment currencies: (currency, share of orders)
PRESENTMENT = (("GBP", 0.62), ("EUR", 0.2), ("USD", 0.13), ("CAD", 0.05))

# HubSpot pipelines: id, label, stages (id, label, probability, isClosed)
PIPELINES = (
    (
        "default",
        "Sales Pipeline",
        (
            ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
            ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
            ("presentationscheduled", "Presentation Scheduled", "0.6", False),
            ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
            ("contractsent", "Contract Sent", "0.9", False),
            ("closedwon", "Closed Won", "1.0", True),
            ("closedlost", "Closed Lost", "0.0", True),
        ),
    ),
    (
        "78213456",
        "UK Sales",
        (
            ("157382910", "Discovery", "0.1", False),
            ("157382911", "Proposal", "0.5", False),
            ("157382912", "Negotiation", "0.8", False),
            ("157382913", "Won", "1.0", True),
            ("157382914", "Lost", "0.0", True),
        ),
    ),
)
PIPELINE_FOR = {US: "default", UK: "78213456"}
WON_STAGE = {US: "closedwon", UK: "157382913"}
LOST_STAGE = {US: "closedlost", UK: "157382914"}

COMPANY_WORDS_A = (
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Xenon",
    "Yarrow",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Drift",
    "Ember",
    "Fathom",
    "Glacier",
    "Helix",
    "Indigo",
    "Jasper",
)
COMPANY_WORDS_B = (
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Foods",
    "Labs",
    "Systems",
    "Capital",
    "Energy",
    "Media",
    "Outfitters",
    "Dynamics",
    "Networks",
    "Partners",
    "Studios",
    "Works",
    "Biotech",
    "Freight",
    "Retail",
    "Software",
)
US_SUFFIX = ("Inc", "LLC", "Corp", "Co")
UK_SUFFIX = ("Ltd", "Limited", "PLC", "LLP")
FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Amelia",
    "Noah",
    "Isla",
    "Oliver",
    "Ava",
    "Elijah",
    "Mia",
    "James",
    "Sophia",
    "Lucas",
    "Grace",
    "Henry",
    "Chloe",
    "Jack",
    "Emily",
    "Leo",
    "Ella",
    "Arthur",
    "Freya",
    "Theo",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Roberts",
    "Thompson",
    "Evans",
    "Garcia",
    "Martin",
    "Clarke",
    "Hughes",
    "Khan",
    "Lewis",
)


@dataclass
class Headcount:
    """Payroll size per entity over time (grows slowly)."""

    start: int
    monthly_growth: float
    avg_gross_minor: int  # per person per pay period
    periods_per_month: int
    extra: dict = field(default_factory=dict)


PAYROLL = {
    US: Headcount(start=14, monthly_growth=0.025, avg_gross_minor=6_250_00, periods_per_month=2),
    UK: Headcount(start=8, monthly_growth=0.02, avg_gross_minor=5_200_00, periods_per_month=1),
}
