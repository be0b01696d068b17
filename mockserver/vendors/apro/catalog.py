"""APRO's account configuration: types, categories, field definitions, departments, groups.

This is the part of a CRM account an administrator sets up in the UI and the API only reads, so
it is fixed data (the document's own ids and names where it gives them), not seeded records.
"""

from __future__ import annotations

from typing import Any


def _v(vid: int, value: str, bind: int | None = None, color: str | None = None, sort: int = 0) -> dict:
    return {
        "id": str(vid),
        "value": value,
        "bind": str(bind) if bind else "0",
        "default": "0",
        "highlight": color,
        "sort": str(sort),
    }


# field id -> definition; ``variants`` only for select / multiselect
FIELDS: dict[str, dict[str, Any]] = {}


def _f(fid: int, name: str, datatype: str, variants: list[dict] | None = None, parent: int = 0) -> str:
    FIELDS[str(fid)] = {"id": str(fid), "name": name, "datatype": datatype}
    if variants is not None:
        FIELDS[str(fid)]["variants"] = variants
    if parent:
        FIELDS[str(fid)]["parent"] = str(parent)
    return str(fid)


# -- objects (stock) ------------------------------------------------------------------------------
_f(338, "SKU", "text")
_f(339, "Price (in dollars)", "price")
_f(340, "Price per square metre", "decimal")
_f(341, "Rooms", "integer")
_f(342, "Floor", "integer")
_f(343, "Area", "decimal")
_f(344, "Built on", "date")
_f(345, "Last inspection", "datetime")
_f(346, "Viewing time", "time")
_f(347, "Furnished", "radio")
_f(348, "Condition", "select", [_v(1601, "New"), _v(1602, "Good", sort=1), _v(1603, "Needs repair", sort=2)])
_f(
    349,
    "Amenities",
    "multiselect",
    [_v(1605, "Parking"), _v(1606, "Balcony"), _v(1607, "Elevator"), _v(1608, "Garden")],
)
_f(350, "Location", "point")
_f(351, "Photos", "file")
_f(352, "Rooms range", "integer_range")
_f(353, "Area range", "decimal_range")
_f(354, "Availability", "date_range")
_f(355, "Viewing hours", "time_range")
_f(356, "Open house", "datetime_range")
_f(361, "Distance to the sea (m)", "integer")
_f(722, "Region", "select", [_v(1614, "North", color="#336699"), _v(1615, "South", color="#327788")])
_f(
    723,
    "District",
    "select",
    [
        _v(1619, "Dean", 1614, "#336699"),
        _v(1617, "Fender", 1614, "#327788"),
        _v(1616, "Gibson", 1614),
        _v(1620, "Harbour", 1615),
        _v(1621, "Old Town", 1615),
    ],
    parent=722,
)
_f(724, "Street", "select", [_v(1630, "High St.", 1619), _v(1631, "Mill Rd.", 1620)], parent=723)

# -- contacts (purchaser) -------------------------------------------------------------------------
_f(24, "Interests", "text")
_f(25, "Age", "integer")
_f(26, "Birthday", "date")
_f(27, "VIP", "radio")
_f(28, "Budget", "price")
_f(29, "Best time to call", "time")
_f(30, "Client category", "select", [_v(1701, "Private"), _v(1702, "Corporate")])
_f(
    31,
    "Client status",
    "select",
    [_v(1711, "Prospect", 1701), _v(1712, "Regular", 1701), _v(1713, "Key account", 1702)],
    parent=30,
)
_f(32, "Languages", "multiselect", [_v(1721, "English"), _v(1722, "Spanish"), _v(1723, "German")])

# -- activities (applications) --------------------------------------------------------------------
_f(67, "Budget", "price")
_f(68, "Rooms wanted", "integer")
_f(69, "Move-in date", "date")
_f(70, "Wishes", "text")
_f(71, "Urgency", "select", [_v(1801, "Low"), _v(1802, "Normal"), _v(1803, "High")])
_f(72, "Area wanted", "decimal_range")
_f(73, "Callback at", "datetime")

# -- deals (sales) --------------------------------------------------------------------------------
_f(374, "Contract number", "text")
_f(375, "Amount", "price")
_f(376, "Deposit", "price")
_f(377, "Signing date", "date")
_f(378, "Payment method", "select", [_v(1901, "Cash"), _v(1902, "Bank transfer"), _v(1903, "Mortgage")])
_f(379, "Commission (%)", "decimal")

# -- users (worker) -------------------------------------------------------------------------------
_f(1, "Hired on", "date")
_f(6, "Qualifications", "text")
_f(7, "Employment history", "text")
_f(8, "Previous job", "text")
_f(12, "Remote", "radio")

DELETED_FIELDS = ["943", "944", "945"]
DISABLED_FIELDS = ["1023", "1024", "1025"]
for _fid in (*DELETED_FIELDS, *DISABLED_FIELDS):
    _f(int(_fid), f"Legacy field {_fid}", "text")

NESTED = {"722": ["723"], "723": ["724"], "30": ["31"]}
NESTED_CHILDREN = {c for cs in NESTED.values() for c in cs}

# -- layouts: which fields each type has ----------------------------------------------------------
STOCK_TYPES = [
    {"id": "1", "name": "Residential properties", "groups": ["149", "150"]},
    {"id": "2", "name": "Properties overseas", "groups": ["150"]},
]
STOCK_LAYOUT: dict[str, list[dict[str, Any]]] = {
    "1": [
        {
            "id": "0",
            "name": "",
            "order": "0",
            "childs": [
                "338",
                "341",
                "342",
                "343",
                "344",
                "345",
                "346",
                "347",
                "348",
                "349",
                "350",
                "351",
                "352",
                "353",
                "354",
                "355",
                "356",
                "722",
                "723",
                "724",
            ],
        },
        {"id": "10", "name": "Price", "order": "1", "childs": ["339", "340"]},
    ],
    "2": [
        {"id": "0", "name": "", "order": "0", "childs": ["338", "343", "350", "351", "361"]},
        {"id": "10", "name": "Price", "order": "1", "childs": ["339"]},
    ],
}
STOCK_CATEGORIES: dict[str, list[dict[str, str]]] = {
    "1": [
        {"id": "1", "tree_id": "1", "tree_parent": "0", "name": "Apartments"},
        {"id": "2", "tree_id": "2", "tree_parent": "1", "name": "Studios"},
        {"id": "3", "tree_id": "3", "tree_parent": "1", "name": "Two-bedroom"},
        {"id": "4", "tree_id": "4", "tree_parent": "0", "name": "Houses"},
        {"id": "5", "tree_id": "5", "tree_parent": "4", "name": "Cottages"},
    ],
    "2": [
        {"id": "6", "tree_id": "6", "tree_parent": "0", "name": "Spain"},
        {"id": "7", "tree_id": "7", "tree_parent": "6", "name": "Costa Blanca"},
    ],
}
CATEGORY_TYPE = {c["id"]: t for t, cats in STOCK_CATEGORIES.items() for c in cats}
PURCHASER_LAYOUT = [
    {"id": "0", "name": "", "order": "0", "childs": ["24", "25", "26", "27", "29", "32"]},
    {"id": "5", "name": "Segmentation", "order": "1", "childs": ["28", "30", "31"]},
]
REQUEST_TYPES = [
    {"id": "1", "name": "Request for rent", "service": "0", "groups": ["149"]},
    {"id": "2", "name": "Request for sale", "service": "0", "groups": ["149", "150", "151"]},
]
REQUEST_LAYOUT = {
    "1": [{"id": "0", "name": "", "order": "0", "childs": ["67", "68", "69", "70", "71"]}],
    "2": [{"id": "0", "name": "", "order": "0", "childs": ["67", "70", "71", "72", "73"]}],
}
REQUEST_STATUSES = [
    "unselected",
    "mustbeprocessed",
    "processnow",
    "processed",
    "postponed",
    "malformed",
    "cancelled",
    "reprocess",
]
SALE_TYPES = [
    {
        "id": 1,
        "name": "Sale",
        "stages": [
            {"id": 1, "name": "Signing contract", "color": "#EDF18A", "order": 10, "is_success": True},
            {"id": 2, "name": "Registration", "color": "#B5D67D", "order": 11, "is_fail": True},
            {"id": 3, "name": "Advance payment made", "color": "#AEEBE6", "order": 12},
        ],
    },
    {
        "id": 2,
        "name": "Rent",
        "stages": [
            {"id": 4, "name": "Viewing", "color": "#D5E8F8", "order": 1},
            {"id": 5, "name": "Lease signed", "color": "#B5D67D", "order": 2, "is_success": True},
            {"id": 6, "name": "Declined", "color": "#F1B8B8", "order": 3, "is_fail": True},
        ],
    },
]
SALE_STAGE_TYPE = {s["id"]: t["id"] for t in SALE_TYPES for s in t["stages"]}
SALE_LAYOUT = {
    "1": {"stages": {"0": [374, 378], "1": [377], "2": [375, 376, 379]}, "price_fields": [375, 376]},
    "2": {"stages": {"0": [374], "4": [377], "5": [375, 378]}, "price_fields": [375]},
}
WORKER_FIELDS = ["1", "6", "7", "8", "12"]
MARKTYPES = {"0": "Not specified", "1": "Buyer", "2": "Seller", "3": "Partner"}

GROUPS = [
    {"id": "149", "name": "Car dealer #1"},
    {"id": "150", "name": "Car dealer #2"},
    {"id": "151", "name": "Head office"},
]
DEPARTMENTS = [
    {"id": "1", "parent_id": "0", "name": "Guidance", "description": "", "order": "1"},
    {"id": "2", "parent_id": "0", "name": "Personnel management", "description": "", "order": "2"},
    {"id": "3", "parent_id": "0", "name": "Marketing management", "description": "", "order": "3"},
    {"id": "4", "parent_id": "3", "name": "Online marketing", "description": "", "order": "4"},
]
FILIATIONS = [
    {
        "id": "1",
        "name": "East London",
        "description": "",
        "city": "London",
        "address": "Union St. 17",
        "phone": "44 20 XXXX 4567",
        "email": "london-east@gmail.com",
    },
    {
        "id": "2",
        "name": "West London",
        "description": "",
        "city": "London",
        "address": "Hill Rd. 3",
        "phone": "44 20 XXXX 7788",
        "email": "london-west@gmail.com",
    },
]

# -- telephony --------------------------------------------------------------------------------------
TRUNKS = [
    {"trunk_id": "4", "name": "1349 XXX 3456", "prov": "MANGO", "phone": "1349 XXX 3456", "take_input": "1"},
    {"trunk_id": "7", "name": "Office line", "prov": "SIP", "phone": "1357 XXX 3456", "take_input": "1"},
]
PHONE_NUMBERS = {
    "in": [{"trunk_id": "4", "phone": "1357 XXX 3456", "title": "1357 XXX 3456"}],
    "out": [
        {"trunk_id": "4", "phone": "1357 XXX 3456", "title": "1357 XXX 3456", "default_landing": "1"},
        {"trunk_id": "7", "phone": "1349 XXX 3456", "title": "Office line", "default_landing": "0"},
    ],
}
CALL_STATUSES = [
    {"id": "1", "order": "1", "color": "#91C8EE", "text": "To processing", "public": "1"},
    {"id": "2", "order": "2", "color": "#E9BCBA", "text": "Urgent", "public": "1"},
    {"id": "3", "order": "3", "color": "#BABADD", "text": "Call back", "public": "1"},
]

# -- publications (intranet posts) ------------------------------------------------------------------
PUBLICATIONS: list[dict[str, Any]] = [
    {
        "id": "1",
        "parent_id": "0",
        "title": "News",
        "description": "",
        "news": "1",
        "date_news": "2011-06-01 00:00:00",
        "publ": "1",
        "body": "",
        "created_on": "2011-06-01 00:00:00",
    },
    {
        "id": "2",
        "parent_id": "0",
        "title": "Object",
        "description": "",
        "news": "0",
        "date_news": "2011-06-01 00:00:00",
        "publ": "1",
        "body": "",
        "created_on": "2011-06-01 00:00:00",
    },
    {
        "id": "871",
        "parent_id": "1",
        "title": "Report #73 from 22.07.2014",
        "description": "Assessment test",
        "news": "0",
        "date_news": "2014-07-23 09:15:54",
        "publ": "1",
        "body": "",
        "created_on": "2014-07-23 09:15:54",
        "files": {"2484": {"title": "73_2014.pdf", "url": "/file/load/2484"}},
        "images": {
            "382": {
                "title": "Headline",
                "description": "Description",
                "width": 600,
                "height": 400,
                "url": "/images/article/382.jpg",
                "preview": "/images/article/382_250x250.jpg",
            }
        },
    },
    {
        "id": "872",
        "parent_id": "1",
        "title": "Office move",
        "description": "We move on Monday",
        "news": "0",
        "date_news": "2015-02-02 10:00:00",
        "publ": "1",
        "body": "<p>New address: Union St. 17</p>",
        "created_on": "2015-02-02 10:00:00",
    },
    {
        "id": "873",
        "parent_id": "871",
        "title": "Appendix A",
        "description": "",
        "news": "0",
        "date_news": "2014-07-24 12:00:00",
        "publ": "1",
        "body": "Tables",
        "created_on": "2014-07-24 12:00:00",
    },
    {
        "id": "880",
        "parent_id": "2",
        "title": "Listing rules",
        "description": "How to list an object",
        "news": "0",
        "date_news": "2016-01-10 08:00:00",
        "publ": "1",
        "body": "Rules",
        "created_on": "2016-01-10 08:00:00",
    },
    {
        "id": "881",
        "parent_id": "2",
        "title": "Archived rules",
        "description": "",
        "news": "0",
        "date_news": "2013-01-10 08:00:00",
        "publ": "0",
        "body": "",
        "created_on": "2013-01-10 08:00:00",
    },
]


# -- online forms ------------------------------------------------------------------------------------
def _form_field(fid: str, name: str, require: str = "0", type_data: str = "text") -> dict[str, Any]:
    return {
        "id": fid,
        "name": name,
        "placeholder": name,
        "require": require,
        "tip": "",
        "hint": "",
        "type_data": type_data,
    }


FORMS: dict[str, dict[str, Any]] = {
    "1": {
        "formtype": "1",
        "name": "Application for loan",
        "description": "You can apply for a loan here",
        "feedback": "Thank you! We will get back to you shortly",
        "request_type": "1",
        "def_customer": {
            "surname": _form_field("surname", "Last name", "1"),
            "name": _form_field("name", "First name", "1"),
            "patronymic": _form_field("patronymic", "Patronymic"),
            "email": _form_field("email", "Email"),
            "phone": _form_field("phone", "Phone", "1"),
        },
        "ext_customer": ["30", "31", "25"],
        "ext_request": ["67", "69"],
        "def_stock": True,
        "ext_stock": ["338", "341"],
    },
    "2": {
        "formtype": "2",
        "name": "Call me back",
        "description": "Leave your number",
        "feedback": "We will call you",
        "request_type": "2",
        "def_customer": {
            "name": _form_field("name", "First name", "1"),
            "phone": _form_field("phone", "Phone", "1"),
        },
        "ext_customer": [],
        "ext_request": ["70"],
        "def_stock": False,
        "ext_stock": [],
    },
    # every section of the document's "Sending a filled form" sample, nothing obligatory
    "3": {
        "formtype": "3",
        "name": "Contact us",
        "description": "Tell us about you and your property",
        "feedback": "Thank you! We will get back to you shortly",
        "request_type": "2",
        "def_customer": {
            "surname": _form_field("surname", "Last name"),
            "name": _form_field("name", "First name"),
            "patronymic": _form_field("patronymic", "Patronymic"),
            "email": _form_field("email", "Email"),
            "phone": _form_field("phone", "Phone"),
        },
        "ext_customer": ["24"],
        "ext_request": ["67"],
        "def_stock": True,
        "ext_stock": ["338"],
    },
}
