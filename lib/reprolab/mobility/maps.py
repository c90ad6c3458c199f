"""folium maps of a city: POIs by group, one user's check-ins, held-out locations, and CaLLiPer's text-to-location
similarity. Maps default to ``tiles=None`` (an outline of the data's extent instead of a base map) and carry
Leaflet's script and style inline (from the django-js-lib-leaflet package, no CDN), so they render offline: in
JupyterLab, in a saved HTML file and on the documentation site. Pass e.g. ``tiles="OpenStreetMap"`` to view real
cities with a connection."""

from __future__ import annotations

import base64
import html
import io
import re
from functools import cache
from importlib.resources import files

import folium
import matplotlib
import numpy as np
import pandas as pd

GROUP_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666", "#1f78b4",
                 "#b2df8a"]


@cache
def leaflet_inline() -> str:
    """Leaflet 1.9.4's style and script as one HTML snippet (about 160 kB), the style's images as data URIs."""
    root = files("js_lib_leaflet") / "static" / "js_lib_leaflet"

    def data_uri(match: re.Match) -> str:
        png = (root / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, (root / "leaflet.css").read_text())
    return f"<style>{css}</style>\n<script>{(root / 'leaflet.js').read_text()}</script>"


def offline(fmap: folium.Map) -> folium.Map:
    """Replace folium's CDN scripts and styles (Leaflet, jQuery, Bootstrap, awesome-markers) by Leaflet inline; the
    maps here use Leaflet's own layers and tooltips only (folium's popups need jQuery)."""
    fmap.default_js, fmap.default_css = [], []
    fmap.get_root().header.add_child(folium.Element(leaflet_inline()), name="leaflet_inline", index=0)
    return fmap


def _legend(fmap: folium.Map, lo: float, hi: float, caption: str) -> None:
    """A viridis colour bar from lo to hi in the map's corner, plain HTML (branca's colormap needs d3 from a CDN)."""
    stops = ", ".join(matplotlib.colors.to_hex(matplotlib.colormaps["viridis"](x)) for x in np.linspace(0, 1, 5))
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;bottom:24px;right:12px;z-index:1000;background:#fff;padding:4px 8px;'
        f'font:12px sans-serif;border-radius:4px">{html.escape(caption)}'
        f'<div style="width:180px;height:10px;background:linear-gradient(to right, {stops})"></div>'
        f'<span>{lo:.3g}</span><span style="float:right">{hi:.3g}</span></div>'))


def _base(lon: np.ndarray, lat: np.ndarray, tiles: str | None, zoom: int = 12) -> folium.Map:
    """A map centred on the points, with the data's bounding box drawn when there are no tiles."""
    fmap = offline(folium.Map(location=[float(np.mean(lat)), float(np.mean(lon))], zoom_start=zoom, tiles=tiles,
                              prefer_canvas=True, control_scale=True))
    bounds = [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    if tiles is None:
        folium.Rectangle(bounds, color="#999999", weight=1, fill=False).add_to(fmap)
    fmap.fit_bounds(bounds)
    return fmap


def poi_map(pois: pd.DataFrame, tiles: str | None = None) -> folium.Map:
    """POIs as circles coloured by group, one toggleable layer per group; tooltips show the CaLLiPer text."""
    fmap = _base(pois["lon"].to_numpy(), pois["lat"].to_numpy(), tiles)
    for i, (group, rows) in enumerate(pois.groupby("group", sort=True)):
        layer = folium.FeatureGroup(name=f"{group} ({len(rows)})")
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        for lon, lat, text in zip(rows["lon"], rows["lat"], rows["text"]):
            folium.CircleMarker([lat, lon], radius=2, color=colour, fill=True, weight=0, fill_opacity=0.8,
                                tooltip=text).add_to(layer)
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def trajectory_map(checkins: pd.DataFrame, user: int, days: tuple[int, int] = (0, 7), tiles: str | None = None
                   ) -> folium.Map:
    """One user's check-ins between start_day days[0] (inclusive) and days[1]: a line in time order and a marker
    per stay with its time and category; the most visited location (home) is a larger green circle."""
    rows = checkins[(checkins["user_id"] == user) & checkins["start_day"].between(days[0], days[1] - 1)]
    if rows.empty:
        raise ValueError(f"user {user!r} has no check-ins in days {days}")
    fmap = _base(rows["lon"].to_numpy(), rows["lat"].to_numpy(), tiles, zoom=13)
    folium.PolyLine(rows[["lat", "lon"]].to_numpy().tolist(), weight=2, opacity=0.6).add_to(fmap)
    home = checkins.loc[checkins["user_id"] == user, "location_id"].mode().iloc[0]
    for r in rows.itertuples():
        label = f"{r.timestamp:%a %d %b %H:%M} · {r.category}"
        if r.location_id == home:
            folium.CircleMarker([r.lat, r.lon], radius=8, color="#1b9e77", fill=True, fill_opacity=0.9,
                                tooltip=f"home · {label}").add_to(fmap)
        else:
            folium.CircleMarker([r.lat, r.lon], radius=4, color="#d95f02", fill=True, tooltip=label).add_to(fmap)
    return fmap


def held_out_map(lonlat_known: np.ndarray, lonlat_new: np.ndarray, tiles: str | None = None) -> folium.Map:
    """Training locations (grey) and held-out ones (red), each (n, 2) lon/lat degrees."""
    both = np.concatenate([lonlat_known, lonlat_new])
    fmap = _base(both[:, 0], both[:, 1], tiles)
    for name, points, colour in (("known", lonlat_known, "#777777"), ("held out (L_new)", lonlat_new, "#e41a1c")):
        layer = folium.FeatureGroup(name=f"{name} ({len(points)})")
        for lon, lat in points:
            folium.CircleMarker([lat, lon], radius=3, color=colour, fill=True, weight=0, fill_opacity=0.9).add_to(layer)
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def similarity_map(grid_lon: np.ndarray, grid_lat: np.ndarray, scores: np.ndarray, query: str,
                   pois: pd.DataFrame | None = None, tiles: str | None = None, opacity: float = 0.7) -> folium.Map:
    """Cosine similarity of a query text to CaLLiPer's embedding of every grid cell, as an image overlay.

    grid_lon (nx,), grid_lat (ny,) degrees, scores (ny, nx); optional POIs are drawn as small dots.
    """
    fmap = _base(grid_lon, grid_lat, tiles)
    lo, hi = float(scores.min()), float(scores.max())
    rgba = matplotlib.colormaps["viridis"]((scores - lo) / max(hi - lo, 1e-12))[::-1]  # north up
    buffer = io.BytesIO()
    matplotlib.pyplot.imsave(buffer, rgba, format="png")
    folium.raster_layers.ImageOverlay(f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}",
                                      bounds=[[float(grid_lat.min()), float(grid_lon.min())],
                                              [float(grid_lat.max()), float(grid_lon.max())]],
                                      opacity=opacity, name=query).add_to(fmap)
    _legend(fmap, lo, hi, f"cosine similarity to '{query}'")
    if pois is not None:
        for lon, lat, text in zip(pois["lon"], pois["lat"], pois["text"]):
            folium.CircleMarker([lat, lon], radius=1, color="#ffffff", weight=0, fill=True, fill_opacity=0.6,
                                tooltip=text).add_to(fmap)
    return fmap
