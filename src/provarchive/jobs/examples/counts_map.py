"""Make a counts map (FITS image with a celestial WCS) and a PNG preview from an event list.

Reads the EVENTS table of a FITS event list (RA, DEC, ENERGY columns), keeps the events
in the energy range, bins them on a tangent-plane grid centred on the pointing and
writes ``counts_map.fits`` and ``counts_map.png``.
"""

from __future__ import annotations

import argparse

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS


def counts_map(events: Table, nbins: int, width_deg: float, emin: float, emax: float) -> tuple[np.ndarray, WCS]:
    ra0 = float(events.meta.get("RA_PNT", np.mean(events["RA"])))
    dec0 = float(events.meta.get("DEC_PNT", np.mean(events["DEC"])))
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra0, dec0]
    wcs.wcs.crpix = [nbins / 2 + 0.5, nbins / 2 + 0.5]
    wcs.wcs.cdelt = [-width_deg / nbins, width_deg / nbins]
    wcs.wcs.cunit = ["deg", "deg"]
    selected = events[(events["ENERGY"] >= emin) & (events["ENERGY"] < emax)]
    coords = SkyCoord(selected["RA"], selected["DEC"], unit="deg")
    x, y = wcs.world_to_pixel(coords)
    image, _, _ = np.histogram2d(y, x, bins=nbins, range=[[-0.5, nbins - 0.5], [-0.5, nbins - 0.5]])
    return image.astype(np.int32), wcs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", required=True, help="FITS event list")
    parser.add_argument("--nbins", type=int, default=100)
    parser.add_argument("--width", type=float, default=4.0, help="map width in degrees")
    parser.add_argument("--emin", type=float, default=0.1, help="TeV")
    parser.add_argument("--emax", type=float, default=100.0, help="TeV")
    parser.add_argument("--colormap", default="viridis")
    args = parser.parse_args(argv)
    events = Table.read(args.events, hdu="EVENTS")
    image, wcs = counts_map(events, args.nbins, args.width, args.emin, args.emax)
    header = wcs.to_header()
    header["BUNIT"] = "count"
    header["EMIN"], header["EMAX"] = args.emin, args.emax
    fits.PrimaryHDU(image, header=header).writeto("counts_map.fits", overwrite=True, checksum=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(5, 4.5))
    axes = figure.add_subplot(projection=wcs)
    shown = axes.imshow(image, origin="lower", cmap=args.colormap)
    axes.set_xlabel("Right ascension")
    axes.set_ylabel("Declination")
    figure.colorbar(shown, label="counts")
    axes.set_title(f"Counts {args.emin:g}-{args.emax:g} TeV")
    figure.savefig("counts_map.png", dpi=80)
    print(f"{int(image.sum())} events in the map, peak {int(image.max())} counts per pixel")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
