"""The synthetic data generator: four source CSVs shaped like the real extracts.

Customers apply for one 10-month loan each, in monthly cohorts. Two latent risks per
customer decide who stops repaying: one shows, with noise, in the financials; the other
in the clickstream. As in the real extracts, each customer's clickstream is a stable
personal level seen through heavy month-to-month noise (twice the spread between
customers), half of the twenty features carry the latent risk in that level, and a
customer's clickstream starts anywhere from eighteen months to one month before the
application: the more months of history, the better the estimate of the level, so a
point-in-time model gains from every month it is allowed to read. Clickstream rows after
the application move with the repayment outcome: a feature store that lets them in
scores visibly better than it should (the leakage trap).

All the quirks of the real extracts (placeholders, trailing underscores, impossible
values, text-encoded fields, spreadsheet date formats) are applied to random rows. The
same arguments always give byte-identical files.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from utils.sources.months import add_months
from utils.sources.registry import ATTRIBUTES, CLICKSTREAM, FINANCIALS, LOAN_DAILY, LOAN_TYPES, OCCUPATIONS, Source

DATE_FORMATS = ("iso", "mdy", "mdyy")  # 2023-05-01 | 5/1/2023 | 5/1/23

TENURE = 10
LOAN_AMOUNT = 10_000
DUE_AMOUNT = 1_000.0
CLICKSTREAM_COVERAGE = 0.72

# Default risk: logit = intercept + a weight per latent risk. The financials show one
# latent, the pre-application clickstream the other, so clickstream adds real information.
DEFAULT_INTERCEPT = -2.0
FINANCIAL_RISK_WEIGHT = 2.5
BROWSING_RISK_WEIGHT = 4.0
# Installment (1..10) from which a defaulter stops paying: most stop early.
STOP_INSTALLMENT_WEIGHTS = (0.20, 0.18, 0.16, 0.13, 0.10, 0.08, 0.06, 0.04, 0.03, 0.02)
PARTIAL_PAYER_RATE = 0.3  # defaulters who keep paying a little instead of nothing
PARTIAL_PAYMENTS = (200.0, 300.0, 500.0)
EARLY_PAYOFF_RATE = 0.04  # good payers who clear the balance early
MISS_ONCE_RATE = 0.06  # good payers who skip one installment and catch up next month

CLICKSTREAM_FEATURES = tuple(column for column in CLICKSTREAM.columns if column.startswith("fe_"))
# Clickstream, in units of the spread between customers' personal levels: a month's value
# is the customer's level plus noise twice that spread. Half of the features carry the
# browsing latent in the level (its loading below); the other half are a personal level
# without risk information. After the application, a few of the others shift with the
# installments then missed (the leakage trap).
MONTHLY_NOISE_SD = 2.0
BROWSING_SIGNAL_FEATURES = ("fe_1", "fe_2", "fe_4", "fe_6", "fe_9", "fe_10", "fe_13", "fe_14", "fe_18", "fe_20")
BROWSING_SIGNAL_LOADING = 0.9  # correlation of a signal feature's personal level with the latent
OUTCOME_SHIFT_FEATURES = ("fe_5", "fe_11", "fe_17")
OUTCOME_SHIFT_PER_MISSED = 4.0  # level spreads per missed installment
OUTCOME_SHIFT_MAX_MISSED = 4
MAX_HISTORY_MONTHS = 18  # clickstream starts 1 to 18 months before the application month (inclusive)

FIRST_NAMES = (
    "Aaron",
    "Abigail",
    "Adam",
    "Alice",
    "Amir",
    "Ana",
    "Ben",
    "Carla",
    "Chen",
    "Daniel",
    "Diana",
    "Elena",
    "Emma",
    "Farid",
    "Grace",
    "Hannah",
    "Hiro",
    "Isaac",
    "Jack",
    "Jia",
    "Karen",
    "Kofi",
    "Laura",
    "Leo",
    "Lucia",
    "Maria",
    "Mark",
    "Mei",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Paul",
    "Priya",
    "Rachel",
    "Ravi",
    "Sara",
    "Tom",
    "Yuki",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Baker",
    "Bianchi",
    "Brown",
    "Chan",
    "Cohen",
    "Costa",
    "Davies",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Khan",
    "Kim",
    "Lee",
    "Lopez",
    "Maashoh",
    "Martin",
    "Meyer",
    "Mueller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Reuters",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Tan",
    "Walker",
    "Wong",
)
MAX_LOANS_LISTED = 9

# The quirks of the real extracts, each on random rows of the column it belongs to.
# Impossible values: share of rows, and the (low, high) ranges they are drawn from.
IMPOSSIBLE_VALUES = {
    "Age": (0.025, ((-500, -500), (101, 8700))),
    "Annual_Income": (0.015, ((1_000_000, 24_000_000),)),
    "Num_Bank_Accounts": (0.013, ((100, 1800),)),
    "Num_Credit_Card": (0.022, ((100, 1500),)),
    "Interest_Rate": (0.02, ((100, 5800),)),
    "Num_of_Loan": (0.02, ((-100, -100),)),
    "Num_Credit_Inquiries": (0.02, ((100, 2600),)),
    "Num_of_Delayed_Payment": (0.01, ((100, 4400),)),
}
# Trailing underscores (`52312.68_`, `4_`): share of rows.
TRAILING_UNDERSCORE_RATES = {
    "Age": 0.05,
    "Annual_Income": 0.07,
    "Num_of_Loan": 0.05,
    "Num_of_Delayed_Payment": 0.055,
    "Outstanding_Debt": 0.06,
}
# Placeholders for "unknown" (or "not mentioned"), and their share of rows.
PLACEHOLDERS = {
    "SSN": ("#F%$D@*&8", 0.06),
    "Occupation": ("_______", 0.07),
    "Type_of_Loan": ("", 0.015),  # on top of the customers without loans, whose list is empty
    "Changed_Credit_Limit": ("_", 0.02),
    "Credit_Mix": ("_", 0.21),
    "Payment_of_Min_Amount": ("NM", 0.12),
    "Amount_invested_monthly": ("__10000__", 0.045),
    "Payment_Behaviour": ("!@9#%8", 0.08),
    "Monthly_Balance": ("__-333333333333333333333333333__", 0.01),
}

# Independent random streams, so changing how one file is drawn leaves the others alone.
STREAMS = ("customers", "repayments", "attributes", "financials", "clickstream")


@dataclass(frozen=True)
class Applicants:
    """One row per customer (and loan): the hidden truth every file is drawn from."""

    customer_id: np.ndarray  # "CUS_0x1a2b"
    cohort: np.ndarray  # month index (0 = start) of the application and loan start
    financial_risk: np.ndarray  # latent, standard normal; shows in the financials
    browsing_risk: np.ndarray  # latent, standard normal; shows in pre-application clicks
    has_clickstream: np.ndarray
    clickstream_start: np.ndarray  # month index of the customer's first clickstream month


def generate_sources(
    out_dir: Path,
    customers: int = 12500,
    start: date = date(2023, 1, 1),
    months: int = 24,
    seed: int = 42,
    date_format: str = "iso",
) -> dict[str, int]:
    """Write the four source CSVs into out_dir (created if missing); return rows written per file name."""
    check_arguments(customers, start, months, seed, date_format)
    month_starts = [add_months(start, offset) for offset in range(months)]
    date_texts = np.array([format_date(month, date_format) for month in month_starts], dtype=object)
    id_dates = np.array([month.strftime("%Y_%m_%d") for month in month_starts], dtype=object)

    applicants = draw_applicants(customers, months, random_stream(seed, "customers"))
    paid = draw_repayments(applicants, random_stream(seed, "repayments"))
    tables = {
        LOAN_DAILY: loan_daily_table(applicants, paid, months, date_texts, id_dates),
        CLICKSTREAM: clickstream_table(applicants, paid, months, date_texts, random_stream(seed, "clickstream")),
        ATTRIBUTES: attributes_table(applicants, date_texts, random_stream(seed, "attributes")),
        FINANCIALS: financials_table(applicants, date_texts, random_stream(seed, "financials")),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {source.file_name: write_source(table, source, out_dir) for source, table in tables.items()}


def check_arguments(customers: int, start: date, months: int, seed: int, date_format: str) -> None:
    if customers < 1 or months < 1:
        raise ValueError(f"customers ({customers}) and months ({months}) must both be at least 1.")
    if start.day != 1:
        raise ValueError(
            f"start {start} is not the first of a month; snapshots are monthly, use {start.replace(day=1)}."
        )
    if seed < 0:
        raise ValueError(f"seed ({seed}) must be zero or positive.")
    if date_format not in DATE_FORMATS:
        raise ValueError(f"date_format {date_format!r} is not one of {', '.join(DATE_FORMATS)}.")


def random_stream(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS.index(stream)])


def format_date(day: date, date_format: str) -> str:
    """ISO, or how a spreadsheet re-saves it: month/day/4-digit or 2-digit year, no padding."""
    if date_format == "iso":
        return day.isoformat()
    year = day.year if date_format == "mdy" else f"{day.year % 100:02d}"
    return f"{day.month}/{day.day}/{year}"


def write_source(table: pd.DataFrame, source: Source, out_dir: Path) -> int:
    table[list(source.columns)].to_csv(out_dir / source.file_name, index=False, lineterminator="\n")
    return len(table)


# --- who applies, and how they repay -------------------------------------------------


def draw_applicants(customers: int, months: int, rng: np.random.Generator) -> Applicants:
    # Hex ids like the real `CUS_0x1a2b`: unique, sparse, in random order.
    numbers = 0x1000 + rng.choice(8 * customers, size=customers, replace=False)
    # Even cohorts (customers / months per month); rows listed by cohort, then id.
    cohort = np.arange(customers) * months // customers
    numbers = numbers[np.lexsort((numbers, cohort))]
    financial_risk, browsing_risk = rng.standard_normal((2, customers))
    history_months = rng.integers(1, MAX_HISTORY_MONTHS + 1, customers)
    return Applicants(
        customer_id=np.char.mod("CUS_0x%x", numbers).astype(object),
        cohort=cohort,
        financial_risk=financial_risk,
        browsing_risk=browsing_risk,
        has_clickstream=rng.random(customers) < CLICKSTREAM_COVERAGE,
        # Data before the first extract month is not in the files: early cohorts have less.
        clickstream_start=np.maximum(cohort - history_months + 1, 0),
    )


def draw_repayments(applicants: Applicants, rng: np.random.Generator) -> np.ndarray:
    """Amount paid at installments 0..10, one row per loan (whether or not the window shows it)."""
    count = len(applicants.cohort)
    logit = (
        DEFAULT_INTERCEPT
        + FINANCIAL_RISK_WEIGHT * applicants.financial_risk
        + BROWSING_RISK_WEIGHT * applicants.browsing_risk
    )
    goes_bad = rng.random(count) < 1 / (1 + np.exp(-logit))
    stop_at = rng.choice(np.arange(1, TENURE + 1), size=count, p=STOP_INSTALLMENT_WEIGHTS)
    pays_a_little = rng.random(count) < PARTIAL_PAYER_RATE
    payment_after_stop = np.where(pays_a_little, rng.choice(PARTIAL_PAYMENTS, size=count), 0.0)
    habit = rng.random(count)
    pays_off_early = ~goes_bad & (habit < EARLY_PAYOFF_RATE)
    misses_once = ~goes_bad & (habit >= EARLY_PAYOFF_RATE) & (habit < EARLY_PAYOFF_RATE + MISS_ONCE_RATE)
    payoff_at = rng.integers(3, TENURE, size=count)[:, None]  # 3..9
    miss_at = rng.integers(1, TENURE, size=count)[:, None]  # 1..9, so the catch-up fits the tenure

    installment = np.arange(TENURE + 1)[None, :]
    paid = np.where(installment >= 1, DUE_AMOUNT, 0.0).repeat(count, axis=0)
    paid = np.where(goes_bad[:, None] & (installment >= stop_at[:, None]), payment_after_stop[:, None], paid)
    paid = np.where(misses_once[:, None] & (installment == miss_at), 0.0, paid)
    paid = np.where(misses_once[:, None] & (installment == miss_at + 1), 2 * DUE_AMOUNT, paid)
    remaining_at_payoff = LOAN_AMOUNT - DUE_AMOUNT * (payoff_at - 1)
    paid = np.where(pays_off_early[:, None] & (installment == payoff_at), remaining_at_payoff, paid)
    return np.where(pays_off_early[:, None] & (installment > payoff_at), 0.0, paid)


def loan_state(paid: np.ndarray) -> dict[str, np.ndarray]:
    """Due, overdue and balance per installment, all consistent with what was paid."""
    installment = np.arange(paid.shape[1])
    due = np.where(installment >= 1, DUE_AMOUNT, 0.0)
    cumulative_paid = paid.cumsum(axis=1)
    return {
        "due_amt": np.broadcast_to(due, paid.shape),
        "paid_amt": paid,
        # An early payoff has paid more than was due so far: that is not a negative overdue.
        "overdue_amt": np.maximum(DUE_AMOUNT * installment - cumulative_paid, 0.0),
        "balance": LOAN_AMOUNT - cumulative_paid,
    }


def missed_installments(paid: np.ndarray) -> np.ndarray:
    return np.ceil(loan_state(paid)["overdue_amt"] / DUE_AMOUNT)


# --- the four files -------------------------------------------------------------------


def loan_daily_table(
    applicants: Applicants, paid: np.ndarray, months: int, date_texts: np.ndarray, id_dates: np.ndarray
) -> pd.DataFrame:
    """One row per loan per month, from installment 0 until tenure or the window's end."""
    visible = applicants.cohort[:, None] + np.arange(TENURE + 1)[None, :] < months
    loan, installment = np.nonzero(visible)
    snapshot = applicants.cohort[loan] + installment
    order = np.lexsort((loan, snapshot))  # month by month, as the extracts arrive
    loan, installment, snapshot = loan[order], installment[order], snapshot[order]
    cohort = applicants.cohort[loan]
    state = {name: values[loan, installment] for name, values in loan_state(paid).items()}
    return pd.DataFrame(
        {
            "loan_id": applicants.customer_id[loan] + "_" + id_dates[cohort],
            "Customer_ID": applicants.customer_id[loan],
            "loan_start_date": date_texts[cohort],
            "tenure": TENURE,
            "installment_num": installment,
            "loan_amt": LOAN_AMOUNT,
            **state,
            "snapshot_date": date_texts[snapshot],
        }
    )


def clickstream_table(
    applicants: Applicants, paid: np.ndarray, months: int, date_texts: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Every month from the customer's first clickstream month to the end of the window, for
    the covered customers: before, at and after their application; month by month, as the
    extracts arrive."""
    covered = np.flatnonzero(applicants.has_clickstream)
    month, customer = np.nonzero(np.arange(months)[:, None] >= applicants.clickstream_start[covered][None, :])
    customer = covered[customer]
    months_since_application = month - applicants.cohort[customer]
    # After the application a few features follow the repayment outcome (the future: a leakage trap).
    missed = missed_installments(paid)[customer, np.clip(months_since_application, 0, TENURE)]
    outcome_shift = np.where(months_since_application > 0, np.minimum(missed, OUTCOME_SHIFT_MAX_MISSED), 0.0)

    table = {}
    for feature in CLICKSTREAM_FEATURES:
        centre, unit = rng.uniform(60, 140), rng.uniform(12, 25)  # unit: the spread between customers' levels
        personal = rng.standard_normal(len(applicants.cohort))
        if feature in BROWSING_SIGNAL_FEATURES:  # riskier customers browse less
            loading = BROWSING_SIGNAL_LOADING
            personal = -loading * applicants.browsing_risk + np.sqrt(1 - loading**2) * personal
        standardised = personal[customer] + rng.normal(0, MONTHLY_NOISE_SD, len(customer))
        if feature in OUTCOME_SHIFT_FEATURES:
            standardised += OUTCOME_SHIFT_PER_MISSED * outcome_shift
        table[feature] = np.rint(centre + unit * standardised).astype(np.int64)
    table["Customer_ID"] = applicants.customer_id[customer]
    table["snapshot_date"] = date_texts[month]
    return pd.DataFrame(table)


def attributes_table(applicants: Applicants, date_texts: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    count = len(applicants.cohort)
    clean = {
        "Name": pick(FIRST_NAMES, count, rng) + " " + pick(LAST_NAMES, count, rng),
        "Age": risk_count(applicants.financial_risk, -0.25, 18, 60, 1.3, rng),  # the young are a bit riskier
        "SSN": (
            zero_padded(rng.integers(1, 1000, count), 3)
            + "-"
            + zero_padded(rng.integers(0, 100, count), 2)
            + "-"
            + zero_padded(rng.integers(0, 10000, count), 4)
        ),
        "Occupation": pick(OCCUPATIONS, count, rng),
    }
    return pd.DataFrame(
        {
            "Customer_ID": applicants.customer_id,
            **with_quirks(clean, rng),
            "snapshot_date": date_texts[applicants.cohort],
        }
    )


def financials_table(applicants: Applicants, date_texts: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Customer_ID": applicants.customer_id,
            **with_quirks(clean_financials(applicants.financial_risk, rng), rng),
            "snapshot_date": date_texts[applicants.cohort],
        }
    )


def clean_financials(risk: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The application-time credit profile before any quirk. Risky customers look worse
    on most columns, each a separate noisy view of the latent risk, so that no single
    column gives it away."""
    count = len(risk)
    annual_income = np.round(risk_scaled(risk, -0.4, 7_000, 180_000, 2.5, rng), 2)
    # In-hand salary: the monthly share of income after a varying tax, at full precision.
    monthly_salary = np.round(annual_income * (1 - rng.uniform(0.0, 0.12, count)), 2) / 12
    num_of_loan = risk_count(risk, 0.5, 0, MAX_LOANS_LISTED, 1.3, rng)
    total_emi = num_of_loan * monthly_salary * rng.uniform(0.01, 0.04, count)
    invested = monthly_salary * rng.uniform(0.03, 0.15, count)
    mix_view = risk_view(risk, 0.7, rng)
    return {
        "Annual_Income": annual_income,
        "Monthly_Inhand_Salary": monthly_salary,
        "Num_Bank_Accounts": risk_count(risk, 0.55, 0, 11, 1.0, rng),
        "Num_Credit_Card": risk_count(risk, 0.45, 1, 11, 1.0, rng),
        "Interest_Rate": risk_count(risk, 0.7, 1, 34, 1.3, rng),
        "Num_of_Loan": num_of_loan,
        "Type_of_Loan": loan_type_lists(num_of_loan, rng),
        "Delay_from_due_date": risk_count(risk, 0.7, -5, 67, 1.6, rng),
        "Num_of_Delayed_Payment": risk_count(risk, 0.65, 0, 28, 1.0, rng),
        # + 0.0 turns a rounded -0.0 into 0.0.
        "Changed_Credit_Limit": np.round(10.4 + 6.5 * risk_view(risk, 0.35, rng), 2) + 0.0,
        "Num_Credit_Inquiries": risk_count(risk, 0.6, 0, 17, 1.5, rng),
        "Credit_Mix": np.select([mix_view < -0.6, mix_view > 0.7], ["Good", "Bad"], "Standard"),
        "Outstanding_Debt": np.round(risk_scaled(risk, 0.7, 0.23, 4998, 2.2, rng), 2),
        "Credit_Utilization_Ratio": 20 + 30 * rng.beta(2, 3, count),
        "Credit_History_Age": years_and_months(risk_count(risk, -0.55, 1, 404, 0.9, rng)),
        "Payment_of_Min_Amount": np.where(risk_view(risk, 0.6, rng) > -0.4, "Yes", "No"),
        "Total_EMI_per_month": total_emi,
        "Amount_invested_monthly": invested,
        "Payment_Behaviour": payment_behaviour(risk_view(risk, 0.2, rng), rng),
        # Part of what is left after repayments and investments.
        "Monthly_Balance": (monthly_salary - total_emi - invested) * rng.uniform(0.1, 0.6, count),
    }


def risk_view(risk: np.ndarray, loading: float, rng: np.random.Generator) -> np.ndarray:
    """A standard normal variable correlated `loading` with the latent risk."""
    return loading * risk + np.sqrt(1 - loading**2) * rng.standard_normal(len(risk))


def risk_scaled(
    risk: np.ndarray, loading: float, low: float, high: float, skew: float, rng: np.random.Generator
) -> np.ndarray:
    """A value in [low, high] that rises with the latent risk (falls, for a negative
    loading), smoothly bounded (no pile-up at the ends) and bunched towards low when
    skew > 1."""
    share = 1 / (1 + np.exp(-1.7 * risk_view(risk, loading, rng)))  # ~ the normal CDF: uniform
    return low + (high - low) * share**skew


def risk_count(
    risk: np.ndarray, loading: float, low: int, high: int, skew: float, rng: np.random.Generator
) -> np.ndarray:
    return np.rint(risk_scaled(risk, loading, low, high, skew, rng)).astype(np.int64)


# --- text fields and quirks -------------------------------------------------------------


def loan_type_lists(num_of_loan: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`A`, `A, and B`, `A, B, and C`: one loan type per loan, repeats allowed, empty
    without loans."""
    types = np.array(LOAN_TYPES, dtype=object)[rng.integers(0, len(LOAN_TYPES), (len(num_of_loan), MAX_LOANS_LISTED))]
    text = np.full(len(num_of_loan), "", dtype=object)
    for position in range(MAX_LOANS_LISTED):
        separator = "" if position == 0 else np.where(position == num_of_loan - 1, ", and ", ", ")
        text = np.where(position < num_of_loan, text + separator + types[:, position], text)
    return text


def payment_behaviour(risk: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`High_spent_Small_value_payments`: spending level at random, riskier customers make
    smaller payments."""
    spent = np.where(rng.random(len(risk)) < 0.45, "High_spent", "Low_spent").astype(object)
    value = np.select([risk > 0.5, risk < -0.7], ["Small", "Large"], "Medium").astype(object)
    return spent + "_" + value + "_value_payments"


def with_quirks(columns: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The columns as the real extracts show them: impossible values, trailing underscores
    and placeholders, each on random rows of the columns that have it there."""
    dirty = dict(columns)
    # Loops over the quirk tables, not over `dirty`, so the random draws keep their order.
    for column, (rate, ranges) in IMPOSSIBLE_VALUES.items():
        if column in dirty:
            dirty[column] = with_impossible_values(dirty[column], rate, ranges, rng)
    for column, rate in TRAILING_UNDERSCORE_RATES.items():
        if column in dirty:
            text = as_text(dirty[column])
            dirty[column] = np.where(rng.random(len(text)) < rate, text + "_", text)
    for column, (placeholder, rate) in PLACEHOLDERS.items():
        if column in dirty:
            dirty[column] = np.where(rng.random(len(dirty[column])) < rate, placeholder, as_text(dirty[column]))
    return dirty


def with_impossible_values(
    values: np.ndarray, rate: float, ranges: tuple[tuple[int, int], ...], rng: np.random.Generator
) -> np.ndarray:
    """Far outside any plausible value (`1756` bank accounts), varying from row to row."""
    low, high = np.array(ranges, dtype=float)[rng.integers(0, len(ranges), len(values))].T
    impossible = low + (high - low) * rng.random(len(values))
    impossible = np.rint(impossible) if values.dtype.kind == "i" else np.round(impossible, 2)
    return np.where(rng.random(len(values)) < rate, impossible.astype(values.dtype), values)


def as_text(values: np.ndarray) -> np.ndarray:
    """Numbers as Python writes them (shortest round-trip float), as an object array."""
    return values.astype(str).astype(object)


def pick(choices: tuple[str, ...], count: int, rng: np.random.Generator) -> np.ndarray:
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), count)]


def zero_padded(numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(numbers.astype(str), width).astype(object)


def years_and_months(months: np.ndarray) -> np.ndarray:
    """`10 Years and 9 Months`, as the real extract spells it (also `1 Years`)."""
    return as_text(months // 12) + " Years and " + as_text(months % 12) + " Months"
