"""Rebuild data/agencies.csv, data/routing.csv and data/demo/agency_profiles.csv for the province
of 1/7/2025 (issue 12): the former district People's Committees retired (kept for history), one
UBND per 2025 unit, the sector units of former Bắc Kạn, the departments' subordinate units (D14.3).

Run once, by hand, from the repository root (`python scripts/build_agencies_2026.py`); the files
are data afterwards and an administrator edits them (or the admin page) directly. The focal
points' names are fictitious placeholders, like the rest of the demo: the province supplies real
ones. Deterministic (seeded).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_FIELDS = ("moi_truong", "rac_thai", "do_thi_xay_dung", "an_ninh_trat_tu", "dat_dai", "khac")
UBND_FIELDS = ("moi_truong;rac_thai;giao_thong;do_thi_xay_dung;an_ninh_trat_tu;dat_dai;giao_duc;"
               "an_toan_thuc_pham;van_hoa_du_lich;lao_dong_xa_hoi;khac")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý",
          "Hà", "Nông", "Triệu", "Lường", "Đinh", "Lục", "Mã")
MIDDLE_M = ("Văn", "Đức", "Quang", "Minh", "Hữu", "Xuân")
MIDDLE_F = ("Thị", "Thị Thu", "Thị Ngọc", "Thị Thanh", "Thị Hồng")
GIVEN_M = ("Hùng", "Dũng", "Thắng", "Tuấn", "Cường", "Hải", "Long", "Sơn", "Tùng", "Phong", "Kiên")
GIVEN_F = ("Hà", "Lan", "Hương", "Mai", "Hoa", "Nga", "Thảo", "Yến", "Huyền", "Trang", "Linh")
BAC_KAN_AREAS = ("tp_bac_kan", "pac_nam", "ba_be", "ngan_son", "bach_thong", "cho_don", "cho_moi",
                 "na_ri")
NEW_SECTOR = [
    # code, name, short, kind, parent, fields, minutes
    ("nuoc_bac_kan", "Công ty Cổ phần Cấp thoát nước Bắc Kạn", "Cấp thoát nước Bắc Kạn",
     "doanh_nghiep", "", "nuoc", 720),
    ("dien_bac_kan", "Công ty Điện lực Bắc Kạn", "Điện lực Bắc Kạn", "doanh_nghiep", "", "dien", 720),
    ("cc_bvmt", "Chi cục Bảo vệ môi trường", "Chi cục BVMT", "truc_thuoc", "so_nnmt",
     "moi_truong;rac_thai", 1440),
    ("cc_atvstp", "Chi cục An toàn vệ sinh thực phẩm", "Chi cục ATVSTP", "truc_thuoc", "so_yt",
     "an_toan_thuc_pham", 1440),
    ("pc_csgt", "Phòng Cảnh sát giao thông", "Phòng CSGT", "truc_thuoc", "cong_an",
     "giao_thong;an_ninh_trat_tu", 960),
    ("ttr_so_xd", "Thanh tra Sở Xây dựng", "Thanh tra Sở XD", "truc_thuoc", "so_xd",
     "giao_thong;do_thi_xay_dung", 1440),
]


def person(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, columns, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def main() -> None:
    rng = random.Random(20250701)
    units = read(ROOT / "data/geo/thai_nguyen_units_2025.csv")
    areas = {r["unit_code"]: r["area_code"] for r in read(ROOT / "data/unit_areas.csv")}
    columns = ["code", "name", "short_name", "kind", "unit_code", "parent_code", "fields",
               "process_minutes", "leader_name", "leader_title", "handler_name", "handler_title",
               "email", "phone", "active"]
    agencies = []
    for row in read(ROOT / "data/agencies.csv"):
        if row["code"] in {a[0] for a in NEW_SECTOR} or row.get("kind") == "ubnd_xa":
            continue
        row = {k: row.get(k, "") for k in columns}
        if row["code"].startswith("ubnd_") and row["code"][5:].isdigit() and len(row["code"]) == 8:
            row["kind"], row["active"] = "ubnd_huyen", "0"  # gone on 1/7/2025; kept for history
        else:
            row["active"] = row["active"] or "1"
        agencies.append(row)
    for code, name, short, kind, parent, fields, minutes in NEW_SECTOR:
        agencies.append(dict(code=code, name=name, short_name=short, kind=kind, unit_code="",
                             parent_code=parent, fields=fields, process_minutes=minutes,
                             leader_name=person(rng), leader_title="Phó Giám đốc" if kind ==
                             "doanh_nghiep" else "Phó Trưởng phòng" if code == "pc_csgt"
                             else "Phó Chi cục trưởng" if code.startswith("cc_") else "Phó Chánh Thanh tra",
                             handler_name=person(rng), handler_title="Chuyên viên",
                             email=f"phananh.{code.replace('_', '')}@thainguyen.gov.vn",
                             phone=f"{'0209' if code.endswith('bac_kan') else '0208'} "
                                   f"38{rng.randint(10000, 99999)}", active="1"))
    for unit in units:
        kind_word = "phường" if unit["ward_type"] == "Phường" else "xã"
        place = unit["ward_name"].split(" ", 1)[1]
        city = areas[unit["ward_code"]] == "tp_thai_nguyen" and kind_word == "phường"
        agencies.append(dict(
            code=f"ubnd_{unit['ward_code']}", name=f"UBND {kind_word} {place}",
            short_name=f"UBND {'P.' if kind_word == 'phường' else 'xã'} {place}", kind="ubnd_xa",
            unit_code=unit["ward_code"], parent_code="", fields=UBND_FIELDS,
            process_minutes=960 if city else 1440, leader_name=person(rng),
            leader_title=f"Phó Chủ tịch UBND {kind_word}", handler_name=person(rng),
            handler_title="Công chức Văn phòng - Thống kê",
            email=f"phananh.ubnd{unit['ward_code']}@thainguyen.gov.vn",
            phone=f"0208 3{rng.randint(100000, 999999)}", active="1"))
    write(ROOT / "data/agencies.csv", columns, agencies)

    routing = []
    for row in read(ROOT / "data/routing.csv"):
        if row["agency"].startswith("ubnd_") or row["agency"] in {a[0] for a in NEW_SECTOR}:
            continue
        area = row.get("area_code", "")
        if row.get("district_code") == "164":
            area = "tp_thai_nguyen"
        note = row["note"].replace("UBND cấp huyện", "UBND cấp xã")
        routing.append(dict(field=row["field"], area_code=area, unit_code=row.get("unit_code", ""),
                            agency=row["agency"], priority=row["priority"], note=note))
    for area in BAC_KAN_AREAS:
        routing.append(dict(field="nuoc", area_code=area, unit_code="", agency="nuoc_bac_kan",
                            priority=10, note="Mạng lưới cấp nước khu vực Bắc Kạn cũ"))
        routing.append(dict(field="dien", area_code=area, unit_code="", agency="dien_bac_kan",
                            priority=10, note="Lưới điện khu vực Bắc Kạn cũ"))
    for unit in units:
        for field in LOCAL_FIELDS:
            routing.append(dict(field=field, area_code="", unit_code=unit["ward_code"],
                                agency=f"ubnd_{unit['ward_code']}", priority=10,
                                note="Trên địa bàn xã/phường: UBND cấp xã kiểm tra, xử lý theo phân cấp"))
    write(ROOT / "data/routing.csv",
          ["field", "area_code", "unit_code", "agency", "priority", "note"], routing)

    profiles = {r["agency"]: r for r in read(ROOT / "data/demo/agency_profiles.csv")}
    out = []
    for agency in agencies:
        if agency["code"] in profiles:
            out.append(profiles[agency["code"]])
            continue
        good = rng.random()
        sat = (0.35 + 0.3 * good, 0.3, 0.35 - 0.25 * good)
        out.append(dict(agency=agency["code"],
                        median_process_share=f"{0.35 + 0.35 * (1 - good):.2f}",
                        late_share=f"{0.03 + 0.15 * (1 - good):.2f}",
                        rework_share=f"{0.03 + 0.07 * rng.random():.2f}",
                        return_share=f"{0.03 + 0.06 * rng.random():.2f}",
                        progress_notice_share=f"{0.3 + 0.5 * good:.2f}",
                        satisfaction=";".join(f"{w:.2f}" for w in sat)))
    write(ROOT / "data/demo/agency_profiles.csv", list(out[0]), out)


if __name__ == "__main__":
    main()
