"""Report packs for the provincial People's Committee (D13.5, D14.4): Word, Excel and CSV.

`pack.build_pack(period, out_dir)` writes the three files of one month or quarter from the KPI
definitions in `backend.services.kpis`; the texts are in `data/templates/report_pack.toml`.
"""
