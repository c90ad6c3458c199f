"""The data model: POI and check-in tables (pandas) with validated columns, and loaders for published formats.

* POIs: one row per point of interest, ``poi_id, lon, lat, category, group, text`` (degrees; ``text`` is what the
  POI text encoder reads, by default CaLLiPer's template "A place of {category}, a type of {group}").
* Check-ins: one row per recorded stay, ``user_id, location_id, lon, lat, category, timestamp, start_day, start_min,
  weekday`` (local time; ``start_day`` counts days from the first record in the table, ``start_min`` is minutes after
  midnight, ``weekday`` 0 = Monday), sorted by time within each user. A location is a venue (FSQ) or a POI (the
  generated city): its id indexes the POI table when both come from the same source.

Loaders: `read_tsmc` (Foursquare TSMC2014, Yang et al. 2015: tab-separated, no header) and `read_checkins` /
`read_pois` (CSV in the columns above). Every loader validates before returning, with errors that name the file, the
column and the first bad rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

POI_COLUMNS = ("poi_id", "lon", "lat", "category", "group", "text")
CHECKIN_COLUMNS = ("user_id", "location_id", "lon", "lat", "category", "timestamp")
TSMC_COLUMNS = ("user_id", "venue_id", "category_id", "category", "lat", "lon", "tz_offset_min", "utc_time")


class DataError(ValueError):
    """A table that does not follow the data model; the message names the source, the column and the rows."""


def poi_text(category: str, group: str) -> str:
    """CaLLiPer's POI description template (London OS POIs): "A place of {category}, a type of {group}"."""
    return f"A place of {category.lower()}, a type of {group.lower()}"


def _require(df: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {missing}; required: {list(columns)}; found: {list(df.columns)}")


def _check_coordinates(df: pd.DataFrame, source: str) -> None:
    """lon in [-180, 180], lat in [-90, 90], both finite (degrees)."""
    lon, lat = pd.to_numeric(df["lon"], errors="coerce"), pd.to_numeric(df["lat"], errors="coerce")
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & lon.between(-180, 180) & lat.between(-90, 90))
    if bad.any():
        rows = df.index[bad.to_numpy()][:5].tolist()
        raise DataError(f"{source}: {int(bad.sum())} row(s) with bad coordinates (need finite lon in [-180, 180] and "
                        f"lat in [-90, 90], degrees), first rows {rows}: "
                        f"{df.loc[rows, ['lon', 'lat']].to_dict('records')}")


def validate_pois(pois: pd.DataFrame, source: str = "POI table") -> pd.DataFrame:
    """Check the POI columns, coordinates and unique ids; fill ``text`` from category and group when absent."""
    pois = pois.copy()
    if "text" not in pois.columns and {"category", "group"} <= set(pois.columns):
        pois["text"] = [poi_text(c, g) for c, g in zip(pois["category"], pois["group"])]
    if "poi_id" not in pois.columns:
        pois["poi_id"] = np.arange(len(pois))
    _require(pois, POI_COLUMNS, source)
    if len(pois) == 0:
        raise DataError(f"{source}: no rows")
    _check_coordinates(pois, source)
    if pois["poi_id"].duplicated().any():
        raise DataError(f"{source}: duplicated poi_id values, e.g. {pois['poi_id'][pois['poi_id'].duplicated()].head(3).tolist()}")
    empty = pois["text"].isna() | (pois["text"].astype(str).str.strip() == "")
    if empty.any():
        raise DataError(f"{source}: empty text in {int(empty.sum())} row(s), first {pois.index[empty][:5].tolist()}; "
                        "every POI needs a description")
    return pois.astype({"lon": float, "lat": float}).reset_index(drop=True)


def add_time_columns(checkins: pd.DataFrame) -> pd.DataFrame:
    """Add ``start_day`` (days since the table's first day), ``start_min`` (minutes after midnight) and ``weekday``
    from the local ``timestamp``."""
    ts = pd.to_datetime(checkins["timestamp"])
    day0 = ts.min().normalize()
    out = checkins.copy()
    out["timestamp"] = ts
    out["start_day"] = ((ts.dt.normalize() - day0).dt.days).astype(np.int64)
    out["start_min"] = (ts.dt.hour * 60 + ts.dt.minute).astype(np.int64)
    out["weekday"] = ts.dt.day_of_week.astype(np.int64)
    return out


def validate_checkins(checkins: pd.DataFrame, source: str = "check-in table") -> pd.DataFrame:
    """Check columns, coordinates and that time never goes backwards within a user; add the time columns."""
    _require(checkins, CHECKIN_COLUMNS, source)
    if len(checkins) == 0:
        raise DataError(f"{source}: no rows")
    _check_coordinates(checkins, source)
    try:
        ts = pd.to_datetime(checkins["timestamp"])
    except (ValueError, TypeError) as err:
        raise DataError(f"{source}: column 'timestamp' is not parseable as date-times ({err})") from err
    if ts.isna().any():
        raise DataError(f"{source}: {int(ts.isna().sum())} missing timestamp(s)")
    for column in ("user_id", "location_id"):
        if not pd.api.types.is_integer_dtype(checkins[column]):
            raise DataError(f"{source}: column {column!r} must hold integer ids, got dtype {checkins[column].dtype} "
                            "(map string ids to integers first, e.g. with pd.factorize)")
    if (checkins["user_id"].diff() < 0).any():
        row = int(np.flatnonzero((checkins["user_id"].diff() < 0).to_numpy())[0])
        raise DataError(f"{source}: user_id decreases at row {row}; records must be sorted by user, then time "
                        "(sort with df.sort_values(['user_id', 'timestamp'], kind='stable'))")
    backwards = (ts.diff().dt.total_seconds() < 0) & (checkins["user_id"] == checkins["user_id"].shift())
    if backwards.any():
        row = int(np.flatnonzero(backwards.to_numpy())[0])
        raise DataError(f"{source}: time goes backwards within user {checkins['user_id'].iloc[row]!r} at row {row} "
                        f"({ts.iloc[row - 1]} then {ts.iloc[row]}); records must be sorted by user, then time "
                        "(sort with df.sort_values(['user_id', 'timestamp'], kind='stable'))")
    return add_time_columns(checkins.astype({"lon": float, "lat": float})).reset_index(drop=True)


def read_pois(path: str | Path) -> pd.DataFrame:
    """A POI CSV: ``lon, lat`` (degrees) and ``text``, or ``category`` and ``group`` to build it; ``poi_id`` optional."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"POI file {path} does not exist (a CSV with lon, lat and text or category+group)")
    pois = pd.read_csv(path)
    for col in ("category", "group"):
        if col not in pois.columns and "text" in pois.columns:
            pois[col] = ""
    return validate_pois(pois, source=str(path))


def read_checkins(path: str | Path) -> pd.DataFrame:
    """A check-in CSV in this module's columns (timestamps in local time, sorted by user then time)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"check-in file {path} does not exist (a CSV with columns {list(CHECKIN_COLUMNS)})")
    return validate_checkins(pd.read_csv(path), source=str(path))


def read_tsmc(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Foursquare TSMC2014 (``dataset_TSMC2014_NYC.txt``): tab-separated, no header, latin-1, columns
    user, venue id, category id, category name, lat, lon, timezone offset (minutes), UTC time
    ("Tue Apr 03 18:00:09 +0000 2012"). Returns ``(checkins, pois)``: check-ins in local time sorted by user then
    time, and one POI per venue (its first category, text ``poi_text(category, "venue")``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"TSMC2014 file {path} does not exist")
    raw = pd.read_csv(path, sep="\t", header=None, encoding="latin-1", dtype={1: str, 2: str})
    if raw.shape[1] != len(TSMC_COLUMNS):
        raise DataError(f"{path}: expected {len(TSMC_COLUMNS)} tab-separated columns {list(TSMC_COLUMNS)}, "
                        f"found {raw.shape[1]}")
    raw.columns = list(TSMC_COLUMNS)
    _check_coordinates(raw, str(path))
    utc = pd.to_datetime(raw["utc_time"], format="%a %b %d %H:%M:%S %z %Y", errors="coerce")
    if utc.isna().any():
        row = int(np.flatnonzero(utc.isna().to_numpy())[0])
        raise DataError(f"{path}: unparseable utc_time at row {row}: {raw['utc_time'].iloc[row]!r} "
                        "(expected like 'Tue Apr 03 18:00:09 +0000 2012')")
    raw["timestamp"] = utc.dt.tz_localize(None) + pd.to_timedelta(raw["tz_offset_min"], unit="min")
    venues = pd.Index(raw["venue_id"].unique())
    raw["location_id"] = venues.get_indexer(raw["venue_id"])
    raw = raw.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    checkins = validate_checkins(raw[list(CHECKIN_COLUMNS)], source=str(path))
    first = raw.drop_duplicates("location_id").sort_values("location_id")
    pois = pd.DataFrame({"poi_id": first["location_id"].to_numpy(), "lon": first["lon"].to_numpy(),
                         "lat": first["lat"].to_numpy(), "category": first["category"].to_numpy(), "group": "venue"})
    pois["text"] = [poi_text(c, "venue") for c in pois["category"]]
    return checkins, validate_pois(pois, source=str(path))
