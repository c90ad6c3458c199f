"""MHSA preprocessing (Hong et al. 2023, as the paper's code uses it) and the inductive split.

1. Keep locations with more than `min_location_visits` records and users with more than `min_user_records`.
2. Split each user's tracked days chronologically: the first 60 % train, the next 20 % validation, the rest test.
3. Encode locations seen in training as 2, 3, ... (0 = padding, 1 = unseen in training).
4. A sample is a record (the target) with at least `history_days` tracked days of the user before it; its history is
   every earlier record of the user within `history_days` days (at least `min_history`, at most `max_history`, the
   most recent kept). Histories may reach back into an earlier split (online prediction); the official code
   starts each split's histories afresh, which wastes the first week of every split at this scale.

Samples are index ranges into one record table sorted by user and time, so a batch is one vectorised gather.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from .tables import DataError

PAD, UNKNOWN = 0, 1


@dataclass
class Records:
    """Per-record arrays (n_records,), sorted by user then time."""

    loc: np.ndarray  # encoded location id (0 pad, 1 unknown, >= 2 seen in training), int64
    venue: np.ndarray  # original location id, int64
    lonlat: np.ndarray  # (n_records, 2) degrees, float64
    hour: np.ndarray  # 0..23
    quarter: np.ndarray  # quarter of the hour, 0..3
    weekday: np.ndarray  # 0 = Monday
    user: np.ndarray  # encoded user id 0..n_users-1
    day: np.ndarray  # start_day


@dataclass
class Samples:
    """Samples of one split: history = records[start:end], target = records[end] (all (n,), int64)."""

    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.end)

    def subset(self, keep: np.ndarray) -> "Samples":
        """Samples where the boolean mask `keep` (n,) holds."""
        return Samples(self.start[keep], self.end[keep])


@dataclass
class MobilityData:
    """Records, samples per split, and the id vocabularies."""

    records: Records
    splits: dict[str, Samples]  # train, validation, test
    n_locations: int  # output classes incl. 0 (pad) and 1 (unknown)
    n_users: int
    venue_of_id: np.ndarray  # (n_locations,) original location id of each encoded id (-1 for 0 and 1)
    lonlat_of_id: np.ndarray  # (n_locations, 2) degrees (0 for 0 and 1)
    stats: dict = field(default_factory=dict)

    def targets(self, split: str) -> np.ndarray:
        """Encoded target location ids of a split, (n,)."""
        return self.records.loc[self.splits[split].end]

    def sentences(self, split: str = "train") -> list[np.ndarray]:
        """History + target location ids per sample (the skip-gram corpus of the official code)."""
        s = self.splits[split]
        return [self.records.loc[a:b + 1] for a, b in zip(s.start, s.end)]


def preprocess(checkins: pd.DataFrame, min_location_visits: int = 10, min_user_records: int = 10,
               history_days: int = 7, min_history: int = 3, max_history: int = 48,
               split: tuple[float, float] = (0.6, 0.8)) -> MobilityData:
    """The MHSA pipeline on a validated check-in table (see the module docstring)."""
    if not 0 < split[0] < split[1] < 1:
        raise ValueError(f"split must be two increasing fractions in (0, 1), got {split}")
    df = checkins
    counts = df["location_id"].map(df["location_id"].value_counts())
    df = df[counts > min_location_visits]
    df = df[df["user_id"].map(df["user_id"].value_counts()) > min_user_records].reset_index(drop=True)
    if df.empty:
        raise DataError(f"no records left after the filters (locations > {min_location_visits} visits, users > "
                        f"{min_user_records} records); lower them or supply more data")
    day = df["start_day"].to_numpy()
    first = df.groupby("user_id")["start_day"].transform("min").to_numpy()
    span = df.groupby("user_id")["start_day"].transform("max").to_numpy() - first
    rel = day - first
    part = np.where(rel < split[0] * span, 0, np.where(rel < split[1] * span, 1, 2))  # 0 train, 1 val, 2 test
    train_venues = np.unique(df["location_id"].to_numpy()[part == 0])
    venue_to_id = pd.Series(np.arange(len(train_venues)) + 2, index=train_venues)
    loc = venue_to_id.reindex(df["location_id"].to_numpy()).fillna(UNKNOWN).to_numpy(np.int64)
    users = pd.Index(np.unique(df["user_id"]))
    minute = df["start_min"].to_numpy()
    records = Records(loc=loc, venue=df["location_id"].to_numpy(np.int64), lonlat=df[["lon", "lat"]].to_numpy(float),
                      hour=minute // 60, quarter=(minute % 60) // 15, weekday=df["weekday"].to_numpy(np.int64),
                      user=users.get_indexer(df["user_id"]).astype(np.int64), day=day.astype(np.int64))
    # history window [start, end) of every record: same user, within history_days, capped at max_history
    idx = np.arange(len(df))
    user_start = np.searchsorted(records.user, records.user, side="left")
    key = records.user * (day.max() + history_days + 1) + day  # sortable (user, day)
    start = np.searchsorted(key, key - history_days, side="left")
    start = np.maximum(np.maximum(start, user_start), idx - max_history)
    valid = (rel >= history_days) & (idx - start >= min_history)
    lonlat_of_id = np.zeros((len(train_venues) + 2, 2))
    first_row = pd.Series(idx).groupby(loc).first()
    known = first_row.index.to_numpy() >= 2
    lonlat_of_id[first_row.index.to_numpy()[known]] = records.lonlat[first_row.to_numpy()[known]]
    splits = {name: Samples(start[valid & (part == k)], idx[valid & (part == k)])
              for k, name in enumerate(("train", "validation", "test"))}
    empty = [name for name, s in splits.items() if len(s) == 0]
    if empty:
        raise DataError(f"no samples in split(s) {empty}: users need more than {history_days} tracked days before "
                        "their validation and test periods")
    data = MobilityData(records, splits, len(train_venues) + 2, len(users),
                        np.concatenate([[-1, -1], train_venues]), lonlat_of_id)
    data.stats = {"records": len(df), "users": len(users), "locations": int(df["location_id"].nunique()),
                  "train_locations": len(train_venues), **{f"{k}_samples": len(s) for k, s in splits.items()},
                  "mean_history": float(np.mean(splits["train"].end - splits["train"].start)),
                  "test_unknown_targets": float(np.mean(data.targets("test") == UNKNOWN))}
    return data


def touches(data: MobilityData, samples: Samples, locations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which samples have a history step, resp. a target, among encoded ids `locations`: two (n,) bool arrays."""
    is_new = np.zeros(data.n_locations, bool)
    is_new[locations] = True
    hits = np.concatenate([[0], np.cumsum(is_new[data.records.loc])])  # prefix counts over records
    return hits[samples.end] - hits[samples.start] > 0, is_new[data.records.loc[samples.end]]


def inductive_split(data: MobilityData, fraction: float = 0.1, seed: int = 0) -> tuple[MobilityData, np.ndarray]:
    """Hold out `fraction` of the training locations (L_new, drawn with `seed`): drop every train and validation
    sample whose history or target contains one; keep the full test set. Held-out locations keep their ids (their
    embedding rows are never trained). Returns the reduced data and L_new (encoded ids)."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    n_train_locations = data.n_locations - 2
    new = np.sort(rng.choice(np.arange(2, data.n_locations), int(round(fraction * n_train_locations)), replace=False))
    splits = dict(data.splits)
    for name in ("train", "validation"):
        history, target = touches(data, splits[name], new)
        splits[name] = splits[name].subset(~(history | target))
    reduced = MobilityData(data.records, splits, data.n_locations, data.n_users, data.venue_of_id, data.lonlat_of_id,
                           {**data.stats, **{f"{k}_samples": len(s) for k, s in splits.items()}})
    return reduced, new


@dataclass
class Batch:
    """A padded batch: histories left-aligned, padding at the end."""

    loc: torch.Tensor  # (B, L) encoded ids, 0 = pad
    lonlat: torch.Tensor  # (B, L, 2) degrees, float64
    hour: torch.Tensor  # (B, L)
    quarter: torch.Tensor  # (B, L)
    weekday: torch.Tensor  # (B, L)
    length: torch.Tensor  # (B,)
    user: torch.Tensor  # (B,)
    target: torch.Tensor  # (B,) encoded target ids

    def to(self, device: torch.device) -> "Batch":
        return Batch(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


def make_batch(records: Records, samples: Samples, rows: np.ndarray) -> Batch:
    """Gather samples `rows` (indices into `samples`) into a padded `Batch` (one vectorised gather)."""
    start, end = samples.start[rows], samples.end[rows]
    length = end - start
    offsets = np.arange(length.max())
    pos = start[:, None] + offsets[None, :]  # (B, L)
    mask = offsets[None, :] < length[:, None]
    pos = np.where(mask, pos, 0)

    def take(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.where(mask, a[pos], 0))

    lonlat = torch.from_numpy(np.where(mask[..., None], records.lonlat[pos], 0.0))
    return Batch(take(records.loc), lonlat, take(records.hour), take(records.quarter), take(records.weekday),
                 torch.from_numpy(length), torch.from_numpy(records.user[end]), torch.from_numpy(records.loc[end]))
