"""Simulate a gamma-ray event list (FITS, GADF-like EVENTS table) for the example jobs.

A point source on a flat background in a square field, with a power-law energy
spectrum: enough for a newcomer to run a real job and follow its provenance without
downloading data.
"""

from __future__ import annotations

import argparse

import numpy as np
from astropy.io import fits
from astropy.table import Table


def simulate(n_events: int, ra: float, dec: float, fov_deg: float, source_fraction: float, seed: int) -> Table:
    rng = np.random.default_rng(seed)
    n_source = int(n_events * source_fraction)
    n_background = n_events - n_source
    psf_deg = 0.1
    cos_dec = np.cos(np.radians(dec))
    ra_all = np.concatenate(
        [
            rng.normal(ra, psf_deg / cos_dec, n_source),
            ra + rng.uniform(-fov_deg / 2, fov_deg / 2, n_background) / cos_dec,
        ]
    )
    dec_all = np.concatenate(
        [rng.normal(dec, psf_deg, n_source), dec + rng.uniform(-fov_deg / 2, fov_deg / 2, n_background)]
    )
    energy = 0.1 * (1 - rng.uniform(size=n_events)) ** (-1 / 1.6)  # power law of index 2.6 above 0.1 TeV
    time = np.sort(rng.uniform(0, 1800, n_events))
    table = Table(
        {"TIME": time, "RA": ra_all, "DEC": dec_all, "ENERGY": energy},
        meta={"EXTNAME": "EVENTS", "HDUCLAS1": "EVENTS", "RA_PNT": ra, "DEC_PNT": dec, "ONTIME": 1800.0},
    )
    table["TIME"].unit, table["RA"].unit, table["DEC"].unit, table["ENERGY"].unit = "s", "deg", "deg", "TeV"
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--ra", type=float, default=83.633)
    parser.add_argument("--dec", type=float, default=22.014)
    parser.add_argument("--fov", type=float, default=4.0)
    parser.add_argument("--source-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default="events.fits")
    args = parser.parse_args(argv)
    table = simulate(args.events, args.ra, args.dec, args.fov, args.source_fraction, args.seed)
    fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(table)]).writeto(args.output, overwrite=True, checksum=True)
    print(f"wrote {len(table)} events to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
