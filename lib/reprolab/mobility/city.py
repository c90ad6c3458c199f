"""A generated city and its residents: the offline default data of notebook 04.

The city (`make_city`) is a square of ``size_km`` around an obviously synthetic anchor (0° N, 0° E) with a CBD,
residential neighbourhoods on a ring, a campus, a park belt, two metro lines and 10 % uniform background POIs;
each district draws its categories from a Gaussian around its centre.

Residents (`simulate_checkins`) follow daily routines with home and work/study anchors. Every non-anchor stay
(morning coffee, lunch, evening and weekend outings) follows the exploration / preferential-return model of
Song et al. (Nature Physics 2010): explore a new venue with probability ρ·S^(−γ) (S = distinct venues so far),
chosen by the user's category taste × exp(−d / d₀) from where the user is; otherwise return to a venue of the
slot's kind with probability ∝ past visits × exp(−d / d_r) (people go back to familiar places near where they
are). Outings chain: each starts from the previous place. Stays are recorded with probability ``p_record`` (``p_record_anchor`` at home and work: check-in sparsity).
Venues explored late appear only in the test period: the "new places" of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tables import poi_text, validate_checkins, validate_pois

# category -> group (our own words, Foursquare-like)
CATEGORIES: dict[str, str] = {
    "Office": "work", "Coworking Space": "work",
    "University": "education", "School": "education", "Library": "education",
    "Coffee Shop": "food", "Restaurant": "food", "Fast Food": "food", "Bakery": "food",
    "Bar": "nightlife", "Nightclub": "nightlife",
    "Grocery Store": "shopping", "Clothing Store": "shopping", "Shopping Mall": "shopping", "Pharmacy": "shopping",
    "Park": "outdoors and recreation", "Gym": "outdoors and recreation", "Sports Field": "outdoors and recreation",
    "Cinema": "arts and entertainment", "Museum": "arts and entertainment", "Theater": "arts and entertainment",
    "Subway Station": "transport", "Bus Station": "transport",
    "Home (private)": "residence",
}

# district -> (POI counts per category, spread in metres)
_CBD = {"Office": 160, "Coworking Space": 15, "Coffee Shop": 35, "Restaurant": 45, "Fast Food": 20, "Bakery": 6,
        "Bar": 25, "Nightclub": 8, "Clothing Store": 20, "Shopping Mall": 3, "Pharmacy": 5, "Cinema": 3, "Museum": 4,
        "Theater": 4, "Gym": 5}
_RESIDENTIAL = {"Home (private)": 90, "Grocery Store": 10, "School": 3, "Gym": 4, "Coffee Shop": 6, "Restaurant": 6,
                "Fast Food": 4, "Bakery": 4, "Pharmacy": 3, "Park": 3, "Bar": 3, "Office": 4}
_CAMPUS = {"University": 10, "Library": 3, "Coffee Shop": 6, "Fast Food": 5, "Sports Field": 3, "Bar": 3}
_PARKS = {"Park": 14, "Sports Field": 6, "Museum": 2, "Coffee Shop": 3, "Gym": 2}

# activity slot -> categories it can visit
SLOTS: dict[str, tuple[str, ...]] = {
    "coffee": ("Coffee Shop", "Bakery"),
    "lunch": ("Coffee Shop", "Restaurant", "Fast Food", "Bakery"),
    "evening": ("Grocery Store", "Clothing Store", "Pharmacy", "Gym", "Restaurant", "Bar", "Cinema", "Shopping Mall"),
    "night": ("Bar", "Nightclub", "Restaurant", "Theater", "Cinema"),
    "weekend_day": ("Park", "Shopping Mall", "Clothing Store", "Grocery Store", "Museum", "Sports Field",
                    "Coffee Shop", "Bakery"),
}

EARTH_M_PER_DEG = 111_320.0


def to_lonlat(xy_m: np.ndarray, anchor: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Local metres (x east, y north), shape (n, 2) -> (lon, lat) degrees around anchor (lon, lat)."""
    lon0, lat0 = anchor
    return np.stack([lon0 + xy_m[:, 0] / (EARTH_M_PER_DEG * np.cos(np.radians(lat0))),
                     lat0 + xy_m[:, 1] / EARTH_M_PER_DEG], axis=1)


def make_city(seed: int = 0, size_km: float = 12.0, n_neighbourhoods: int = 5, scale: float = 1.0) -> pd.DataFrame:
    """POI table of a generated city (`tables.POI_COLUMNS` plus ``district``, ``x_m``, ``y_m``).

    scale multiplies every district's POI counts (1.0: about 1,300 POIs).
    """
    rng = np.random.default_rng(seed)
    half = size_km * 500.0
    districts: list[tuple[str, tuple[float, float], dict[str, int], float]] = [("cbd", (0.0, 0.0), _CBD, 0.08 * half)]
    for k in range(n_neighbourhoods):
        angle = 2 * np.pi * k / n_neighbourhoods + 0.3
        districts.append((f"neighbourhood {k + 1}", (0.62 * half * np.cos(angle), 0.62 * half * np.sin(angle)),
                          _RESIDENTIAL, 0.13 * half))
    districts.append(("campus", (-0.45 * half, 0.1 * half), _CAMPUS, 0.06 * half))
    districts.append(("park belt", (0.35 * half, -0.2 * half), _PARKS, 0.12 * half))
    rows: list[tuple[str, str, float, float]] = []
    for name, (cx, cy), counts, spread in districts:
        for category, n in counts.items():
            n = max(1, int(round(n * scale)))
            xy = rng.normal([cx, cy], spread, size=(n, 2))
            rows += [(name, category, x, y) for x, y in xy]
    stations = np.linspace(-0.9 * half, 0.9 * half, 11)
    rows += [("metro line A", "Subway Station", s, 0.0) for s in stations]
    rows += [("metro line B", "Subway Station", 0.0, s) for s in stations if abs(s) > 1e-6]
    n_background = int(0.1 * len(rows))
    background_categories = [c for c in CATEGORIES if c not in ("Home (private)", "University")]
    for category, (x, y) in zip(rng.choice(background_categories, n_background),
                                rng.uniform(-half, half, size=(n_background, 2))):
        rows.append(("background", str(category), x, y))
    table = pd.DataFrame(rows, columns=["district", "category", "x_m", "y_m"])
    table[["x_m", "y_m"]] = table[["x_m", "y_m"]].clip(-half, half)
    table["group"] = table["category"].map(CATEGORIES)
    table["text"] = [poi_text(c, g) for c, g in zip(table["category"], table["group"])]
    lonlat = to_lonlat(table[["x_m", "y_m"]].to_numpy())
    table["lon"], table["lat"] = lonlat[:, 0], lonlat[:, 1]
    table.insert(0, "poi_id", np.arange(len(table)))
    return validate_pois(table, source="generated city")


@dataclass(frozen=True)
class MobilityModel:
    """Parameters of the residents' routines and of EPR (Song et al. 2010)."""

    rho: float = 0.6  # exploration: P(new venue) = rho * S^-gamma
    gamma: float = 0.21
    distance_scale_m: float = 1000.0  # d0 of the exp(-d/d0) pull of new venues near the current position
    return_scale_m: float = 1000.0  # d_r, the same pull on returns to known venues
    taste_concentration: float = 0.4  # Dirichlet concentration of each user's category taste (small: picky)
    p_employed: float = 0.8  # the rest stay around home on weekdays too
    p_record: float = 0.7  # chance that an outing is checked in (Foursquare-like sparsity)
    p_record_anchor: float = 0.35  # the same at home and work (people check in there less)


def _pick_anchor(rng: np.random.Generator, pois: pd.DataFrame, categories: tuple[str, ...], near: np.ndarray,
                 scale_m: float) -> int:
    """A POI of the given categories, gravity-weighted by exp(-d/scale) from `near` (x, y metres)."""
    idx = np.flatnonzero(pois["category"].isin(categories).to_numpy())
    d = np.hypot(pois["x_m"].to_numpy()[idx] - near[0], pois["y_m"].to_numpy()[idx] - near[1])
    w = np.exp(-d / scale_m)
    return int(rng.choice(idx, p=w / w.sum()))


def simulate_checkins(pois: pd.DataFrame, n_users: int = 100, n_days: int = 56, seed: int = 0,
                      model: MobilityModel = MobilityModel(), start: str = "2025-01-06") -> pd.DataFrame:
    """Check-ins of `n_users` residents over `n_days` days (a `tables.CHECKIN_COLUMNS` table plus time columns).

    Each user: a home (a residential POI), a work or study anchor (offices anywhere, gravity from home, or the
    university), a category taste, and a day plan per weekday/weekend whose non-anchor slots follow EPR.
    """
    rng = np.random.default_rng(seed)
    xy = pois[["x_m", "y_m"]].to_numpy()
    categories = pois["category"].to_numpy()
    all_categories = list(CATEGORIES)
    cat_index = pd.Index(all_categories).get_indexer(categories)  # (n_poi,)
    slot_masks = {s: np.isin(categories, c) for s, c in SLOTS.items()}
    records: list[tuple[int, int, int, int]] = []  # user, poi, day, minute
    for user in range(n_users):
        home = int(rng.choice(np.flatnonzero(categories == "Home (private)")))
        employed = rng.random() < model.p_employed
        work = (_pick_anchor(rng, pois, ("University",) if rng.random() < 0.2 else ("Office", "Coworking Space"),
                             xy[home], 5000.0) if employed else None)
        taste = rng.dirichlet(np.full(len(all_categories), model.taste_concentration))[cat_index]  # (n_poi,)
        visits: dict[int, int] = {}

        def outing(slot: str, here: int) -> int:
            """EPR choice of a venue for `slot` from POI `here` (returns weighted by visits x distance)."""
            known = np.array([p for p in visits if slot_masks[slot][p]], dtype=np.int64)
            pull = np.exp(-np.hypot(*(xy - xy[here]).T) / model.distance_scale_m)  # (n_poi,)
            if not len(known) or rng.random() < model.rho * max(len(visits), 1) ** (-model.gamma):
                w = taste * slot_masks[slot] * pull
                w[list(visits)] = 0.0
                if w.sum() <= 0:
                    return int(rng.choice(known)) if len(known) else here
                choice = int(rng.choice(len(w), p=w / w.sum()))
            else:
                near = np.exp(-np.hypot(*(xy[known] - xy[here]).T) / model.return_scale_m)
                w = np.array([visits[p] for p in known], float) * near
                choice = int(known[rng.choice(len(known), p=w / w.sum())])
            visits[choice] = visits.get(choice, 0) + 1
            return choice

        def chain(plan: list[tuple[int, int]], slot: str, here: int, p_first: float, p_next: float, max_stays: int,
                  start_min: int, end_min: int) -> int:
            """Consecutive outings, each from the previous place, at increasing times in [start_min, end_min)."""
            stays, p = 0, p_first
            while stays < max_stays and rng.random() < p:
                here = outing(slot, here)
                span = (end_min - start_min) // max_stays
                plan.append((here, int(rng.integers(start_min + stays * span, start_min + (stays + 1) * span))))
                stays, p = stays + 1, p_next
            return here

        for day in range(n_days):
            weekday = (pd.Timestamp(start) + pd.Timedelta(days=day)).weekday()
            plan: list[tuple[int, int]] = [(home, int(rng.integers(6 * 60, 8 * 60)))]
            here = home
            if weekday < 5 and work is not None:
                here = chain(plan, "coffee", home, 0.3, 0.0, 1, 7 * 60 + 30, 8 * 60 + 30)
                plan.append((work, int(rng.integers(8 * 60 + 30, 9 * 60 + 30))))
                if chain(plan, "lunch", work, 0.6, 0.0, 1, 12 * 60, 13 * 60 + 30) != work:
                    plan.append((work, int(rng.integers(13 * 60 + 30, 14 * 60 + 30))))
                here = chain(plan, "evening", work, 0.6, 0.45, 3, 17 * 60 + 30, 20 * 60 + 30)
            else:
                here = chain(plan, "weekend_day", home, 0.8, 0.5, 4, 10 * 60, 18 * 60)
            here = chain(plan, "night", here, 0.25, 0.3, 2, 20 * 60 + 30, 22 * 60 + 30)
            plan.append((home, int(rng.integers(22 * 60 + 30, 23 * 60 + 59))))
            minutes = np.maximum.accumulate([m for _, m in plan])  # keep the day's order
            for (poi, _), minute in zip(plan, minutes):
                if rng.random() < (model.p_record_anchor if poi in (home, work) else model.p_record):
                    records.append((user, poi, day, int(minute)))
    rec = np.array(records, dtype=np.int64)  # (n, 4)
    table = pd.DataFrame({"user_id": rec[:, 0], "location_id": rec[:, 1],
                          "lon": pois["lon"].to_numpy()[rec[:, 1]], "lat": pois["lat"].to_numpy()[rec[:, 1]],
                          "category": categories[rec[:, 1]],
                          "timestamp": pd.Timestamp(start) + pd.to_timedelta(rec[:, 2], unit="D")
                          + pd.to_timedelta(rec[:, 3], unit="min")})
    table = table.drop_duplicates(["user_id", "timestamp"]).reset_index(drop=True)
    return validate_checkins(table, source="generated check-ins")
