"""How free-text customer locations map to a canonical city.

The Kaggle file's ``CustLocation`` is free text: "NAVI MUMBAI", "NO 3 KALYANI NAGAR PUNE",
"ELPHINSTONE W MUMBAI", bare PIN codes like "400012", "DELHI" next to "NEW DELHI", and quoted
"JORHAT, ASSAM" or "REWARI (HARYANA)". Keeping only the last word (what the original notebooks did) turns NAVI MUMBAI
into MUMBAI and loses every address that ends in a direction or a number. Instead:

1. blank → ``UNKNOWN``;
2. a bare six-digit PIN code → the city of its three-digit postal prefix, else ``UNKNOWN``;
3. a known city name or alias appearing as whole words anywhere in the text → that city. Longer
   names are tried first, so "NAVI MUMBAI" wins over "MUMBAI" and "GREATER NOIDA" over "NOIDA";
4. "PLACE, STATE" or "PLACE (STATE)" → the part before the comma or bracket;
5. anything else → the cleaned text itself (upper case, punctuation as spaces, single spaces).

Deliberate choices: NEW DELHI is folded into DELHI (New Delhi is a district of the National
Capital Territory and the file uses both for the same customers' city); NAVI MUMBAI, THANE,
GREATER NOIDA and SECUNDERABAD stay separate from their neighbours because they are separate
municipalities with their own branches.
"""

from __future__ import annotations

UNKNOWN_CITY = "UNKNOWN"

# alias -> canonical city. Aliases are matched as whole words on the cleaned text.
CITY_ALIASES: dict[str, str] = {
    "NEW DELHI": "DELHI",
    "DELHI": "DELHI",
    "NAVI MUMBAI": "NAVI MUMBAI",
    "NEW MUMBAI": "NAVI MUMBAI",
    "MUMBAI": "MUMBAI",
    "BOMBAY": "MUMBAI",
    "BANGALORE": "BANGALORE",
    "BENGALURU": "BANGALORE",
    "BANGLORE": "BANGALORE",
    "GURGAON": "GURGAON",
    "GURUGRAM": "GURGAON",
    "GREATER NOIDA": "GREATER NOIDA",
    "NOIDA": "NOIDA",
    "KOLKATA": "KOLKATA",
    "CALCUTTA": "KOLKATA",
    "CHENNAI": "CHENNAI",
    "MADRAS": "CHENNAI",
    "PUNE": "PUNE",
    "POONA": "PUNE",
    "HYDERABAD": "HYDERABAD",
    "SECUNDERABAD": "SECUNDERABAD",
    "THANE": "THANE",
    "GHAZIABAD": "GHAZIABAD",
    "FARIDABAD": "FARIDABAD",
    "AHMEDABAD": "AHMEDABAD",
    "JAIPUR": "JAIPUR",
    "CHANDIGARH": "CHANDIGARH",
    "LUCKNOW": "LUCKNOW",
    "MOHALI": "MOHALI",
    "VISAKHAPATNAM": "VISAKHAPATNAM",
    "VIZAG": "VISAKHAPATNAM",
    "SURAT": "SURAT",
    "LUDHIANA": "LUDHIANA",
    "NASHIK": "NASHIK",
    "VADODARA": "VADODARA",
    "BARODA": "VADODARA",
    "KANPUR": "KANPUR",
    "INDORE": "INDORE",
    "BHOPAL": "BHOPAL",
    "NAGPUR": "NAGPUR",
    "PATNA": "PATNA",
    "KOCHI": "KOCHI",
    "COCHIN": "KOCHI",
    "ERNAKULAM": "KOCHI",
    "COIMBATORE": "COIMBATORE",
    "DEHRADUN": "DEHRADUN",
    "BHUBANESWAR": "BHUBANESWAR",
    "GUWAHATI": "GUWAHATI",
    "MYSORE": "MYSORE",
    "MYSURU": "MYSORE",
}

# Three-digit postal prefixes of the cities whose PIN codes appear bare in the file.
PIN_PREFIX_CITIES: dict[str, str] = {
    "110": "DELHI",
    "400": "MUMBAI",
    "560": "BANGALORE",
    "600": "CHENNAI",
    "700": "KOLKATA",
    "500": "HYDERABAD",
    "411": "PUNE",
    "122": "GURGAON",
    "201": "NOIDA",
    "380": "AHMEDABAD",
    "302": "JAIPUR",
    "160": "CHANDIGARH",
    "226": "LUCKNOW",
    "121": "FARIDABAD",
}


def aliases_longest_first() -> list[tuple[str, str]]:
    """Aliases ordered so that a longer name is tried before any name it contains."""
    return sorted(CITY_ALIASES.items(), key=lambda item: (-len(item[0].split()), -len(item[0]), item[0]))
