"""Synthetic ``bank_transactions.csv`` in the exact format of the public Kaggle file.

The public Kaggle file "Bank Customer Segmentation (1M+ Transactions)" cannot be downloaded on
the build machines, so the project generates stand-in data with the same schema, value formats,
distributions and dirt. Every calibration target below comes from the description of the public
Kaggle file (``DATASET.md``: row and customer counts, null and sentinel counts, quartiles, month
shares, top cities, age profile) and from its first 7,000 rows (formats of dates, times and
decimals; location spellings; spread of birth years and times of day). Counts are given for the
full file of 1,048,567 rows and are scaled in proportion to the requested number of rows.

How the data is built
- Customers first. The number of customers with 2..6 transactions is scaled from the real file;
  the rest have one transaction, which reproduces both the customers-per-row ratio (0.8433) and
  the 84.6% share of one-transaction customers. The customers are shuffled once (a small int8
  array) and then consumed in chunks of about ``CHUNK_ROWS`` rows; all transactions of a customer
  land in the same chunk, so a customer keeps its birth date, gender and location everywhere.
- Each chunk has its own random stream derived from ``(seed, chunk number)`` and the chunk layout
  depends only on the row count, so the output is byte-identical for the same ``(rows, seed)``
  and memory stays bounded by the chunk size whatever the row count.
- CustomerIDs are an affine permutation of the customer index (``C`` + 7 digits, more only when
  the customers cannot fit), so they look scattered but never collide.
- Rows are shuffled inside each chunk, so the file is not sorted by date or customer.

Known simplification: in the real file a CustomerID that appears twice often carries two
different birth dates, genders or locations (the IDs collide); here a customer is one person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------
# Calibration targets: the public Kaggle file (1,048,567 rows). Counts are per that many rows.
# ---------------------------------------------------------------------------------------------
REAL_ROWS = 1_048_567
DEFAULT_ROWS = REAL_ROWS
HEADER = (
    "TransactionID,CustomerID,CustomerDOB,CustGender,CustLocation,CustAccountBalance,"
    "TransactionDate,TransactionTime,TransactionAmount (INR)"
)

# Customers with 4, 5 and 6 transactions are given exactly; the customers with 2 and 3 are solved
# so that the file has 884,265 customers of which 84.6% have a single transaction. (The rounded
# "113k with 2, 14k with 3" of the description cannot hold together with those two figures.)
CUSTOMERS_WITH_TRANSACTIONS = {2: 109_586, 3: 25_177, 4: 1_300, 5: 108, 6: 6}

# Dirt, in rows of the real file.
DOB_MISSING_ROWS = 3_397  # written as the literal text "nan"
DOB_SENTINEL_ROWS = 57_335  # written as 1/1/1800, meaning "unknown"
GENDER_MISSING_ROWS = 1_100
LOCATION_MISSING_ROWS = 151
BALANCE_MISSING_ROWS = 2_369
QUOTED_LOCATION_ROWS = 443  # "JORHAT, ASSAM": the CSV writer quotes them
GENDER_MALE_ROWS = 765_530
GENDER_FEMALE_ROWS = 281_936
GENDER_T_ROWS = 1  # one row with gender "T"
ZERO_AMOUNT_SHARE = 0.001  # the first 7,000 rows: 7 zero amounts
ZERO_BALANCE_SHARE = 0.002  # the first 7,000 rows: 15 zero balances

# Spending by gender is about M 69% / F 31% while rows are 73% / 27%: a woman's transaction is
# about 1.22 times a man's. The two log shifts keep the overall amount quartiles in place.
MALE_LOG_AMOUNT_SHIFT = -0.0534
FEMALE_LOG_AMOUNT_SHIFT = 0.145

# Transaction amount (INR): quartiles 161 / 459 / 1,200, mean 1,574, max 1,560,035. A log-normal
# body plus a small component of larger payments for the heavy tail; most amounts are whole
# rupees and many are round numbers (100, 50, 200, 500, 1000 are the most frequent values).
AMOUNT_LOG_MEDIAN = 6.10
AMOUNT_LOG_SIGMA = 1.55
LARGE_PAYMENT_SHARE = 0.012
LARGE_PAYMENT_LOG_MEDIAN = 8.3
LARGE_PAYMENT_LOG_SIGMA = 1.5
WHOLE_RUPEE_AMOUNT_SHARE = 0.88
ROUND_NUMBER_AMOUNT_SHARE = 0.35  # of whole amounts: rounded to one significant digit
HALF_RUPEE_SHARE = 0.15  # of fractional amounts: paise are exactly 50 (1762.5)

# Account balance (INR): quartiles 4,722 / 16,792 / 57,657, mean 115,404, max 115,035,495. Each
# customer has a typical balance (log-normal), a few have nearly empty accounts (balances of a
# few paise to a few thousand rupees are common in the sample) and a few are rich; the balance
# then varies around the customer's level from one transaction to the next.
BALANCE_LOG_MEDIAN = 9.75
BALANCE_LOG_SIGMA = 1.7
BALANCE_LOG_SIGMA_BETWEEN_TRANSACTIONS = 0.3
NEARLY_EMPTY_ACCOUNT_SHARE = 0.04
NEARLY_EMPTY_BALANCE_RANGE = (0.01, 2_000.0)
RICH_CUSTOMER_SHARE = 0.025
RICH_BALANCE_LOG_MEDIAN = 14.0
RICH_BALANCE_LOG_SIGMA = 0.8

# Age at the transaction date: mean 30.8, sd 8.7, quartiles 25 / 29 / 34. A young log-normal
# core, an older group (born in the 1950s and 1960s: a naive parse puts "4/4/57" in 2057), a few
# minors (born 2000..2007: "05" means 2005) and a few very old customers (born from 1921).
AGE_CORE_MEDIAN = 28.3
AGE_CORE_LOG_SIGMA = 0.17
AGE_OLDER_SHARE = 0.10
AGE_OLDER_MEAN, AGE_OLDER_SD = 48.0, 12.0
AGE_MINOR_SHARE = 0.002
AGE_MINOR_RANGE = (9.0, 18.0)
AGE_VERY_OLD_SHARE = 0.002
AGE_VERY_OLD_RANGE = (70.0, 95.0)
AGE_LIMITS = (9.0, 95.0)  # keeps every birth year in 1921..2007: two digits are unambiguous
AGE_REFERENCE_DATE = dt.date(2016, 9, 1)  # middle of the transaction period
JANUARY_FIRST_DOB_SHARE = 0.007  # 1/1/yy: 1.0% of the sample's birth dates, 0.3% expected

# 55 transaction dates, 2016-08-01 .. 2016-10-21: all of August, 22 days of September, two of
# October. Month shares about 62% / 37% / 0.3%. The September and October days present in the
# real sample are included; the rest of the calendar is an assumption.
MONTH_SHARES = {8: 0.622, 9: 0.375, 10: 0.003}
TRANSACTION_DAYS = {
    8: tuple(range(1, 32)),
    9: tuple(range(1, 18)) + (22, 23, 25, 26, 27),
    10: (16, 21),
}
OCTOBER_DAY_WEIGHTS = {16: 0.01, 21: 0.99}  # the sample has 3 rows on 16/10 and 3,539 on 21/10
TRANSACTION_YEAR = 2016

# Share of transactions per hour of day (00..23): quiet nights, a morning rise, an afternoon
# and an evening peak, smoothed from the August and September rows of the real sample.
HOUR_WEIGHTS = (
    0.4, 0.3, 0.5, 0.4, 0.6, 1.1, 2.0, 3.3, 3.8, 6.0, 7.0, 5.2,
    4.8, 5.0, 6.8, 7.5, 5.0, 3.8, 4.5, 10.0, 9.2, 6.0, 3.4, 2.0,
)

# Output layout.
CHUNK_ROWS = 200_000
CUSTOMER_ID_DIGITS = 7
CUSTOMER_ID_MULTIPLIER = 4_256_233  # not divisible by 2, 3 or 5: coprime with 9 * 10**k
DOB_SENTINEL_TEXT = "1/1/1800"
DOB_MISSING_TEXT = "nan"

# ---------------------------------------------------------------------------------------------
# Locations: free text. Shares are percent of customers and include every written form of a
# city (plain name, street addresses, PIN codes, other spellings). Delhi (DELHI + NEW DELHI)
# ~130k customers, Mumbai ~114k, Bangalore ~78k, Gurgaon ~65k, Noida ~33k, Kolkata ~17k.
# ---------------------------------------------------------------------------------------------
CITY_SHARES = {
    "NEW DELHI": 7.9,
    "DELHI": 6.8,
    "MUMBAI": 12.9,
    "BANGALORE": 8.8,
    "GURGAON": 7.35,
    "NOIDA": 3.7,
    "CHENNAI": 3.0,
    "PUNE": 2.7,
    "THANE": 2.4,
    "HYDERABAD": 2.3,
    "KOLKATA": 1.95,
    "GHAZIABAD": 1.6,
    "NAVI MUMBAI": 1.4,
    "FARIDABAD": 1.2,
    "AHMEDABAD": 1.0,
    "JAIPUR": 1.0,
    "CHANDIGARH": 0.8,
    "LUCKNOW": 0.75,
    "MOHALI": 0.68,
    "VISAKHAPATNAM": 0.55,
    "SURAT": 0.54,
    "LUDHIANA": 0.52,
    "NASHIK": 0.46,
    "VADODARA": 0.44,
    "KANPUR": 0.44,
    "AMRITSAR": 0.43,
    "UDAIPUR": 0.40,
    "INDORE": 0.36,
    "NAGPUR": 0.34,
    "AGRA": 0.33,
    "PANCHKULA": 0.33,
    "COIMBATORE": 0.29,
    "DEHRADUN": 0.29,
    "RANGA REDDY": 0.27,
    "MEERUT": 0.27,
    "GUWAHATI": 0.27,
    "AURANGABAD": 0.27,
    "ALLAHABAD": 0.26,
    "SONIPAT": 0.24,
    "PATIALA": 0.24,
    "GREATER NOIDA": 0.23,
    "SECUNDERABAD": 0.23,
    "RAIPUR": 0.23,
    "GUNTUR": 0.21,
    "SAHARANPUR": 0.20,
    "RAJKOT": 0.20,
    "KOTA": 0.19,
    "JAMSHEDPUR": 0.19,
    "MANGALORE": 0.19,
    "ALWAR": 0.19,
    "ERNAKULAM": 0.19,
    "KARNAL": 0.17,
    "THRISSUR": 0.17,
    "PATNA": 0.17,
    "TRIVANDRUM": 0.16,
    "WARANGAL": 0.16,
    "RANCHI": 0.16,
    "NORTH 24 PARGANAS": 0.16,
    "GANGTOK": 0.16,
    "BHOPAL": 0.15,
    "VIJAYAWADA": 0.14,
    "JALANDHAR": 0.14,
    "BHUBANESWAR": 0.14,
    "MYSORE": 0.13,
    "SOUTH 24 PARGANAS": 0.12,
    "KOCHI": 0.12,
    "JODHPUR": 0.12,
    "VARANASI": 0.11,
    "ROHTAK": 0.11,
    "PANIPAT": 0.11,
    "BATHINDA": 0.10,
    "GWALIOR": 0.10,
    "JAMMU": 0.10,
    "HOWRAH": 0.10,
}

# Small towns and districts sharing what the cities above leave, with falling (Zipf-like) shares.
TOWNS = (
    "KALYAN", "DOMBIVLI", "VASAI", "VIRAR", "BHIWANDI", "PANVEL", "ULHASNAGAR", "MIRA ROAD",
    "BHAYANDAR", "KHARGHAR", "AJMER", "BIKANER", "BHILWARA", "SIKAR", "JHUNJHUNU", "PALI",
    "BARMER", "JAISALMER", "CHITTORGARH", "BANSWARA", "TONK", "NAGAUR", "CHURU", "HANUMANGARH",
    "GANGANAGAR", "BHARATPUR", "DHOLPUR", "JHALAWAR", "BUNDI", "SIROHI", "JALORE", "RAJSAMAND",
    "DUNGARPUR", "PRATAPGARH", "KARAULI", "SAWAI MADHOPUR", "DAUSA", "NEEMRANA", "BEHROR",
    "BHIWADI", "HISAR", "SIRSA", "BHIWANI", "JIND", "KAITHAL", "KURUKSHETRA", "YAMUNA NAGAR",
    "AMBALA", "REWARI", "JHAJJAR", "BAHADURGARH", "PALWAL", "MEWAT", "FATEHABAD",
    "MAHENDRAGARH", "NARNAUL", "DHARUHERA", "BAWAL", "ZIRAKPUR", "DERABASSI", "KHARAR",
    "RUPNAGAR", "FATEHGARH SAHIB", "SANGRUR", "BARNALA", "MANSA", "MOGA", "FEROZEPUR",
    "FAZILKA", "ABOHAR", "MUKTSAR", "FARIDKOT", "TARN TARAN", "GURDASPUR", "PATHANKOT",
    "HOSHIARPUR", "KAPURTHALA", "PHAGWARA", "NAWANSHAHR", "KHANNA", "RAJPURA", "MALERKOTLA",
    "SHIMLA", "SOLAN", "MANDI", "KULLU", "DHARAMSHALA", "KANGRA", "HAMIRPUR", "UNA", "BILASPUR",
    "SIRMAUR", "PARWANOO", "BADDI", "SRINAGAR", "ANANTNAG", "BARAMULLA", "UDHAMPUR", "KATHUA",
    "HARIDWAR", "ROORKEE", "RISHIKESH", "HALDWANI", "RUDRAPUR", "KASHIPUR", "NAINITAL",
    "ALMORA", "MUSSOORIE", "GHAZIPUR", "GORAKHPUR", "BAREILLY", "MORADABAD", "ALIGARH",
    "MATHURA", "FIROZABAD", "ETAWAH", "MAINPURI", "JHANSI", "LALITPUR", "BANDA", "FATEHPUR",
    "RAE BARELI", "UNNAO", "SITAPUR", "HARDOI", "LAKHIMPUR", "BAHRAICH", "GONDA", "BASTI",
    "FAIZABAD", "SULTANPUR", "AZAMGARH", "MAU", "BALLIA", "DEORIA", "JAUNPUR", "MIRZAPUR",
    "BHADOHI", "SHAHJAHANPUR", "BUDAUN", "RAMPUR", "BIJNOR", "MUZAFFARNAGAR", "SHAMLI",
    "BAGHPAT", "HAPUR", "BULANDSHAHR", "MODINAGAR", "SAHIBABAD", "AMROHA", "HATHRAS", "ETAH",
    "KANNAUJ", "BARABANKI", "AMBEDKAR NAGAR", "SIDDHARTH NAGAR", "GAUTAM BUDDHA NAGAR",
    "MUZAFFARPUR", "GAYA", "BHAGALPUR", "DARBHANGA", "PURNIA", "BEGUSARAI", "ARRAH", "BUXAR",
    "SIWAN", "CHHAPRA", "MOTIHARI", "BETTIAH", "SITAMARHI", "SAMASTIPUR", "HAJIPUR", "NALANDA",
    "NAWADA", "JAHANABAD", "AURANGABAD BIHAR", "DHANBAD", "BOKARO", "HAZARIBAGH", "GIRIDIH",
    "DEOGHAR", "DUMKA", "GODDA", "PALAMU", "RAMGARH", "SINGHBHUM", "CUTTACK", "ROURKELA",
    "SAMBALPUR", "BERHAMPUR", "BALASORE", "BHADRAK", "PURI", "KHORDHA", "ANGUL", "DHENKANAL",
    "KEONJHAR", "JAJPUR", "BARGARH", "JHARSUGUDA", "SUNDARGARH", "DURGAPUR", "ASANSOL",
    "BURDWAN", "SILIGURI", "JALPAIGURI", "COOCH BEHAR", "MALDA", "MURSHIDABAD", "NADIA",
    "HOOGHLY", "BANKURA", "PURULIYA", "BIRBHUM", "MIDNAPORE", "KHARAGPUR", "HALDIA",
    "UTTARPARA", "BARRACKPORE", "DIBRUGARH", "JORHAT", "TEZPUR", "SILCHAR", "NAGAON",
    "TINSUKIA", "SIVASAGAR", "SHILLONG", "IMPHAL", "AIZAWL", "AGARTALA", "KOHIMA", "DIMAPUR",
    "ITANAGAR", "GANDHINAGAR", "ANAND", "NADIAD", "BHARUCH", "ANKLESHWAR", "NAVSARI", "VALSAD",
    "VAPI", "SILVASSA", "DAMAN", "BHAVNAGAR", "JAMNAGAR", "JUNAGADH", "PORBANDAR", "AMRELI",
    "MEHSANA", "PATAN", "PALANPUR", "HIMATNAGAR", "GODHRA", "DAHOD", "KUTCH", "BHUJ",
    "GANDHIDHAM", "MORBI", "SURENDRANAGAR", "JABALPUR", "UJJAIN", "SAGAR", "REWA", "SATNA",
    "RATLAM", "DEWAS", "KATNI", "SINGRAULI", "CHHINDWARA", "BETUL", "HOSHANGABAD", "VIDISHA",
    "SEHORE", "RAISEN", "MORENA", "BHIND", "SHIVPURI", "GUNA", "BILASPUR CG", "DURG", "BHILAI",
    "KORBA", "RAIGARH", "AMBIKAPUR", "RAJNANDGAON", "KOLHAPUR", "SANGLI", "SATARA", "SOLAPUR",
    "AHMEDNAGAR", "JALGAON", "DHULE", "NANDED", "LATUR", "BEED", "PARBHANI", "JALNA",
    "AMRAVATI", "AKOLA", "YAVATMAL", "WARDHA", "CHANDRAPUR", "GONDIA", "BHANDARA", "RATNAGIRI",
    "SINDHUDURG", "PALGHAR", "RAIGAD", "ALIBAG", "BARAMATI", "LONAVALA", "TALEGAON",
    "MARGAO", "PANAJI", "MAPUSA", "VASCO DA GAMA", "PONDA", "BELGAUM", "HUBLI", "DHARWAD",
    "GULBARGA", "BELLARY", "DAVANGERE", "SHIMOGA", "TUMKUR", "HASSAN", "MANDYA", "UDUPI",
    "CHIKMAGALUR", "BIDAR", "RAICHUR", "BIJAPUR", "BAGALKOT", "KOLAR", "TIRUPATI", "NELLORE",
    "KURNOOL", "KADAPA", "ANANTAPUR", "CHITTOOR", "ONGOLE", "ELURU", "RAJAHMUNDRY",
    "KAKINADA", "SRIKAKULAM", "VIZIANAGARAM", "MACHILIPATNAM", "KARIMNAGAR", "NIZAMABAD",
    "KHAMMAM", "NALGONDA", "MAHBUBNAGAR", "ADILABAD", "MEDAK", "SIDDIPET", "MADURAI",
    "TIRUCHIRAPPALLI", "SALEM", "TIRUNELVELI", "TIRUPUR", "ERODE", "VELLORE", "THANJAVUR",
    "DINDIGUL", "KANCHIPURAM", "CUDDALORE", "KARUR", "NAMAKKAL", "HOSUR", "KRISHNAGIRI",
    "NAGERCOIL", "THOOTHUKUDI", "PUDUCHERRY", "KOZHIKODE", "KANNUR", "KOLLAM", "KOTTAYAM",
    "ALAPPUZHA", "PALAKKAD", "MALAPPURAM", "IDUKKI", "PATHANAMTHITTA", "KASARAGOD", "WAYANAD",
    "PORT BLAIR", "KARAIKAL", "DUBAI", "ABU DHABI", "SINGAPORE", "LONDON", "RIYADH",
)
TOWN_ZIPF_OFFSET = 15  # town i gets weight 1 / (i + offset): a long, slowly falling tail

# "PLACE, STATE": the only locations with a comma, quoted by the CSV writer.
COMMA_LOCATIONS = (
    "JORHAT, ASSAM", "DIMAPUR, NAGALAND", "AIZAWL, MIZORAM", "TEZPUR, ASSAM",
    "DIBRUGARH, ASSAM", "SILCHAR, ASSAM", "SHILLONG, MEGHALAYA", "IMPHAL, MANIPUR",
    "AGARTALA, TRIPURA", "ITANAGAR, ARUNACHAL PRADESH", "KOHIMA, NAGALAND", "TURA, MEGHALAYA",
    "PANAJI, GOA", "MARGAO, GOA", "HISAR, HARYANA", "KARNAL, HARYANA", "BATHINDA, PUNJAB",
    "HOSHIARPUR, PUNJAB", "SOLAN, HIMACHAL PRADESH", "KANGRA, HIMACHAL PRADESH",
    "WHITEFIELD,BANGALORE", "DOMBIVALI -WEST,THANE", "KALYAN,THANE", "ANDHERI EAST,MUMBAI",
)

# Share of a city's customers written as a street address, a bare PIN code or another spelling.
# The real file has 9,355 distinct locations, yet 574 of the 965 in its first 7,000 rows occur only
# once there: a flat tail of a few thousand rare strings, which the addresses provide.
ADDRESS_SHARE = 0.18
PIN_CODE_SHARE = 0.001
OTHER_SPELLING_SHARE = 0.02
# How an address is written, with the share of each form among the city's addresses.
ADDRESS_TEMPLATES = {
    "{locality} {city}": 0.45,
    "{landmark} {locality} {city}": 0.25,
    "{landmark} {city}": 0.15,
    "NO {number} {locality} {city}": 0.15,
}
# Cities numbered by sectors also write "SECTOR 21 KHARGHAR NAVI MUMBAI" or "NOIDA SEC 77";
# these take SECTOR_ADDRESS_SHARE of the city's addresses, the templates above the rest.
SECTOR_ADDRESSES = {
    "NOIDA": "NOIDA SEC {number}",
    "NAVI MUMBAI": "SECTOR {number} {locality} NAVI MUMBAI",
    "GURGAON": "SECTOR {number} GURGAON",
    "FARIDABAD": "SECTOR-{number} FARIDABAD",
}
SECTOR_ADDRESS_SHARE = 0.3
SECTOR_NUMBERS = 60
HOUSE_NUMBERS = 10
LANDMARKS = (
    "ROAD", "MAIN ROAD", "HOSPITAL", "SCHOOL", "HIGH SCHOOL", "COLLEGE", "STATION",
    "POLICE STATION", "MARKET", "COLONY", "GARDEN", "HOTEL", "TEMPLE", "BUS DEPOT", "PETROL PUMP",
    "CITY PO",
)
# Neighbourhoods used in street addresses of the big cities. Direction suffixes (W, (E), WEST)
# are written several ways, as in the real file ("ELPHINSTONE W MUMBAI", "ANDHERI (E) MUMBAI").
MUMBAI_LOCALITIES = (
    "ANDHERI W", "ANDHERI (E)", "ANDHERI EAST", "ANDHERI WEST", "ELPHINSTONE W",
    "ELPHINSTONE ROAD", "LOWER PAREL", "PAREL (W)", "BANDRA (E)", "BANDRA W", "KHAR WEST",
    "GOREGAON (W)", "GOREGAON EAST", "MALAD WEST", "MALAD E", "KANDIVALI W", "BORIVALI (W)",
    "DAHISAR E", "JOGESHWARI (E)", "VILE PARLE E", "SANTACRUZ W", "KURLA W", "CHEMBUR",
    "GHATKOPAR W", "VIKHROLI", "MULUND W", "BHANDUP", "POWAI", "SAKINAKA", "SION E", "DADAR WEST",
    "MAHIM", "WORLI", "PRABHADEVI", "GIRGAON", "FORT", "COLABA", "NARIMAN POINT", "MAHALAXMI",
    "BYCULLA", "WADALA EAST", "KANJURMARG W", "OSHIWARA", "MARINE LINES",
)
DELHI_LOCALITIES = (
    "PATPARGANJ", "OKHLA INDUSTRIAL ESTATE", "OKHLA PHASE 2", "DWARKA", "ROHINI", "SAKET",
    "KAROL BAGH", "LAJPAT NAGAR", "JANAKPURI", "PITAMPURA", "MAYUR VIHAR", "VASANT KUNJ",
    "GREATER KAILASH", "HAUZ KHAS", "CONNAUGHT PLACE", "PUNJABI BAGH", "RAJOURI GARDEN",
    "PREET VIHAR", "SHAHDARA", "LAXMI NAGAR", "KALKAJI", "NEHRU PLACE", "CHANDNI CHOWK",
    "PAHARGANJ", "DEFENCE COLONY", "MALVIYA NAGAR", "UTTAM NAGAR", "VIKASPURI", "NARELA",
    "BADARPUR", "SARITA VIHAR", "JAMIA NAGAR",
)
BANGALORE_LOCALITIES = (
    "INDIRANAGAR", "KORAMANGALA", "BLOCK KORAMANGALA", "WHITEFIELD", "JAYANAGAR",
    "MALLESHWARAM", "9A MALLESHWARAM", "R T NAGAR", "HSR LAYOUT", "BTM LAYOUT", "MARATHALLI",
    "ELECTRONIC CITY", "HEBBAL", "YELAHANKA", "BANASHANKARI II STAGE", "BASAVANAGUDI",
    "RAJAJINAGAR", "VIJAYANAGAR", "SARJAPUR MAIN RD", "BELLANDUR", "DOMLUR", "FRAZER TOWN",
    "RICHARDS TOWN", "ULSOOR", "MAHADEVAPURA", "KR PURAM", "DEVANAHALLI", "KOTHANUR",
    "HENNUR", "BANNERGHATTA ROAD", "JP NAGAR", "SADASHIVNAGAR",
)
PUNE_LOCALITIES = (
    "KALYANI NAGAR", "HINJEWADI", "PARK PHASE 1 HINJEWADI", "HADAPSAR", "CHINCHWAD",
    "PIMPRI", "PIMPLE SAUDAGAR", "AUNDH", "AUNDH CAMP", "BANER", "WAKAD", "KOTHRUD",
    "VIMAN NAGAR", "KHARADI", "MAGARPATTA", "SHIVAJINAGAR", "DECCAN", "CAMP", "WANOWRIE",
    "KONDHWA", "BIBWEWADI", "SATAVNAGAR HADAPSAR", "GANESHKHIND", "YERWADA",
)
CHENNAI_LOCALITIES = (
    "CHROMPET", "PERUNGUDI", "ADYAR", "T NAGAR", "VELACHERY", "ANNA NAGAR", "MYLAPORE",
    "TAMBARAM", "PORUR", "GUINDY", "NUNGAMBAKKAM", "EGMORE", "KODAMBAKKAM", "CHOOLAIMEDU",
    "SHOLINGANALLUR", "THORAIPAKKAM", "AMBATTUR", "MADIPAKKAM", "PALLAVARAM", "ANNA SALAI",
)
HYDERABAD_LOCALITIES = (
    "GACHIBOWLI", "BANJARA HILLS", "NO 1 BANJARA HILLS", "JUBILEE HILLS", "MADHAPUR",
    "KONDAPUR", "HITECH CITY", "AMEERPET", "BEGUMPET", "KUKATPALLY", "MIYAPUR", "MOOSAPET",
    "UPPAL", "DILSUKHNAGAR", "LB NAGAR", "MEHDIPATNAM", "TOLICHOWKI", "PATANCHERU",
    "SERILINGAMPALLY", "KOMPALLY",
)
KOLKATA_LOCALITIES = (
    "SALT LAKE", "SALT LAKE SECTOR V", "BEHALA", "GARIA", "JADAVPUR", "TOLLYGUNGE",
    "PARK STREET", "BALLYGUNGE", "DUM DUM", "NEW TOWN", "RAJARHAT", "HOWRAH MAIDAN",
    "ESPLANADE", "SHYAMBAZAR", "BARANAGAR", "KASBA",
)
THANE_LOCALITIES = (
    "DOMBIVLI EAST", "DOMBIVALI E", "DOMBIVALI WEST", "KALYAN (W)", "KALYAN EAST",
    "ULHASNAGAR W", "GHODBUNDER ROAD", "MAJIWADA", "VARTAK NAGAR", "WAGLE ESTATE",
    "KOPRI COLONY", "MIRA ROAD E", "VASAI", "NALLASOPARA E", "BHIWANDI", "AMBERNATH",
    "BADLAPUR", "NAUPADA", "THANE WEST", "THANE EAST",
)
NAVI_MUMBAI_LOCALITIES = (
    "KHARGHAR", "VASHI", "NERUL", "CBD BELAPUR", "SANPADA", "AIROLI", "GHANSOLI",
    "KOPAR KHAIRANE", "MAHAPE", "MHAPE", "TURBHE", "SEAWOODS", "KAMOTHE", "KALAMBOLI",
    "PANVEL", "ULWE",
)
GURGAON_LOCALITIES = (
    "DLF PHASE 1", "DLF PHASE 2", "DLF PHASE 3", "DLF PHASE 4", "DLF CYBER CITY", "SOHNA ROAD",
    "GOLF COURSE ROAD", "MG ROAD", "UDYOG VIHAR", "PALAM VIHAR", "SUSHANT LOK", "SOUTH CITY",
    "NIRVANA COUNTRY", "MANESAR", "DUNDAHERA", "BADSHAHPUR",
)
NOIDA_LOCALITIES = (
    "SEC 18", "SEC 62", "SEC 63", "SEC 77", "SEC 50", "SEC 15", "SEC 128", "SEC 137",
    "FILM CITY", "BOTANICAL GARDEN", "SEC 44", "SEC 93",
)
FARIDABAD_LOCALITIES = (
    "SECTOR-21A", "SECTOR 15", "NIT", "BALLABGARH", "OLD FARIDABAD", "NEHARPAR", "NH 5",
    "SECTOR 16", "SECTOR 37",
)
GHAZIABAD_LOCALITIES = (
    "INDIRAPURAM", "VAISHALI", "VASUNDHARA", "RAJ NAGAR", "KAUSHAMBI", "CROSSINGS REPUBLIK",
)
LOCALITIES_BY_CITY = {
    "MUMBAI": MUMBAI_LOCALITIES,
    "NEW DELHI": DELHI_LOCALITIES,
    "DELHI": DELHI_LOCALITIES,
    "BANGALORE": BANGALORE_LOCALITIES,
    "PUNE": PUNE_LOCALITIES,
    "CHENNAI": CHENNAI_LOCALITIES,
    "HYDERABAD": HYDERABAD_LOCALITIES,
    "KOLKATA": KOLKATA_LOCALITIES,
    "THANE": THANE_LOCALITIES,
    "NAVI MUMBAI": NAVI_MUMBAI_LOCALITIES,
    "GURGAON": GURGAON_LOCALITIES,
    "NOIDA": NOIDA_LOCALITIES,
    "FARIDABAD": FARIDABAD_LOCALITIES,
    "GHAZIABAD": GHAZIABAD_LOCALITIES,
}
# Bare six-digit PIN codes: (three-digit postal prefix of the city, highest delivery suffix).
PIN_CODES_BY_CITY = {
    "NEW DELHI": ("110", 96),
    "MUMBAI": ("400", 104),
    "BANGALORE": ("560", 110),
    "CHENNAI": ("600", 130),
    "KOLKATA": ("700", 160),
    "HYDERABAD": ("500", 100),
    "PUNE": ("411", 62),
    "GURGAON": ("122", 18),
}
OTHER_SPELLINGS = {
    "NEW DELHI": ("NEWDELHI", "NEW DLEHI", "N DELHI"),
    "DELHI": ("SOUTH DELHI", "EAST DELHI", "SOUTH WEST DELHI", "NORTH DELHI", "WEST DELHI"),
    "MUMBAI": ("GRTR MUMBAI MUMBAI", "EAST MUMBAI", "WEST MUMBAI", "W MUMBAI", "MUMBAI (SUBURBAN)"),
    "BANGALORE": ("BENGALURU", "BANGLORE", "BANGALURU", "BANGALROE", "BANGALORE NORTH"),
    "GURGAON": ("GURGOAN", "GURUGRAM"),
    "NOIDA": ("G B NAGAR", "NOIDA UP"),
    "CHENNAI": ("CHEENAI", "CHENNAI CITY"),
    "PUNE": ("DISTT PUNE", "PUNE CITY"),
    "THANE": ("THANE (WEST)", "THANE (W)", "THANE -WEST", "DIST THANE", "DIST-THANE"),
    "HYDERABAD": ("HYDERABAD RANGAREDDI", "HYD"),
    "KOLKATA": ("CALCUTTA", "KOLKATTA"),
    "NAVI MUMBAI": ("NAVIMUMBAI", "NEW MUMBAI"),
    "FARIDABAD": ("FARIDABAD HARYANA",),
    "GHAZIABAD": ("GZB",),
}


# ---------------------------------------------------------------------------------------------
# Counts and lookup tables derived from the targets.
# ---------------------------------------------------------------------------------------------
def _scaled(real_count: float, rows: int) -> float:
    """A count of the real file scaled to ``rows`` rows."""
    return real_count * rows / REAL_ROWS


def transactions_per_customer(rows: int) -> dict[int, int]:
    """How many customers have 1, 2, .. 6 transactions in a file of ``rows`` rows.

    Customers with two or more transactions are scaled from the real file; one-transaction
    customers fill the remaining rows, so the counts always add up to exactly ``rows``.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    counts: dict[int, int] = {}
    rows_left = rows
    for size in sorted(CUSTOMERS_WITH_TRANSACTIONS, reverse=True):
        customers = min(round(_scaled(CUSTOMERS_WITH_TRANSACTIONS[size], rows)), rows_left // size)
        counts[size] = customers
        rows_left -= customers * size
    counts[1] = rows_left
    return dict(sorted(counts.items()))


def customer_id_digits(customers: int) -> int:
    """Seven digits (C1000000..C9999999) unless the customers cannot fit in them."""
    digits = CUSTOMER_ID_DIGITS
    while 9 * 10 ** (digits - 1) < customers:
        digits += 1
    return digits


def _date_text(day: dt.date, four_digit_year: bool = False) -> str:
    year = f"{day.year}" if four_digit_year else f"{day.year % 100:02d}"
    return f"{day.day}/{day.month}/{year}"


@functools.cache
def _transaction_dates() -> tuple[tuple[dt.date, ...], np.ndarray]:
    """The 55 transaction dates and the probability of each."""
    dates, probabilities = [], []
    for month, days in TRANSACTION_DAYS.items():
        for day in days:
            if month == 10:
                day_share = OCTOBER_DAY_WEIGHTS[day]
            else:
                day_share = 1 / len(days)
            dates.append(dt.date(TRANSACTION_YEAR, month, day))
            probabilities.append(MONTH_SHARES[month] * day_share)
    probabilities = np.array(probabilities)
    return tuple(dates), probabilities / probabilities.sum()


@functools.cache
def _birth_date_table() -> tuple[dt.date, np.ndarray, np.ndarray]:
    """Every possible birth date as text, two-digit and four-digit year, indexed by day number."""
    oldest_age, youngest_age = AGE_LIMITS[1], AGE_LIMITS[0]
    first = AGE_REFERENCE_DATE - dt.timedelta(days=math.ceil(oldest_age * 365.25) + 1)
    last = AGE_REFERENCE_DATE - dt.timedelta(days=math.floor(youngest_age * 365.25) - 1)
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    two_digit = np.array([_date_text(day) for day in days], dtype=object)
    four_digit = np.array([_date_text(day, four_digit_year=True) for day in days], dtype=object)
    return first, two_digit, four_digit


# Fractional part of a decimal in paise (0..99) as written by the real file: "", ".5", ".05".
_PAISE_TEXT = np.array([""] + [f".{paise:02d}".rstrip("0") for paise in range(1, 100)], dtype=object)


def _add_location(weights: dict[str, float], text: str, share: float) -> None:
    weights[text] = weights.get(text, 0.0) + share


def _expand(template: str, city: str, numbers: range) -> list[str]:
    """Every text a template can produce for a city."""
    localities = LOCALITIES_BY_CITY[city] if "{locality}" in template else ("",)
    landmarks = LANDMARKS if "{landmark}" in template else ("",)
    numbers = numbers if "{number}" in template else (0,)
    return [
        template.format(city=city, locality=locality, landmark=landmark, number=number)
        for locality in localities
        for landmark in landmarks
        for number in numbers
    ]


def _address_forms(city: str) -> dict[str, float]:
    """Every street-address form of a city, each with its share of the city's addresses."""
    templates = dict(ADDRESS_TEMPLATES)
    if city in SECTOR_ADDRESSES:
        templates = {template: share * (1 - SECTOR_ADDRESS_SHARE) for template, share in templates.items()}
    forms: dict[str, float] = {}
    for template, template_share in templates.items():
        expansions = _expand(template, city, range(1, HOUSE_NUMBERS + 1))
        for text in expansions:
            _add_location(forms, text, template_share / len(expansions))
    if city in SECTOR_ADDRESSES:
        expansions = _expand(SECTOR_ADDRESSES[city], city, range(1, SECTOR_NUMBERS + 1))
        for text in expansions:
            _add_location(forms, text, SECTOR_ADDRESS_SHARE / len(expansions))
    return forms


@functools.cache
def location_table() -> tuple[np.ndarray, np.ndarray]:
    """All location strings and the share of customers written with each (summing to 1)."""
    weights: dict[str, float] = {}
    for city, percent in CITY_SHARES.items():
        share = percent / 100
        plain_share = share
        if city in LOCALITIES_BY_CITY:
            for text, form_share in _address_forms(city).items():
                _add_location(weights, text, share * ADDRESS_SHARE * form_share)
            plain_share -= share * ADDRESS_SHARE
        if city in PIN_CODES_BY_CITY:
            prefix, highest = PIN_CODES_BY_CITY[city]
            for suffix in range(1, highest + 1):
                _add_location(weights, f"{prefix}{suffix:03d}", share * PIN_CODE_SHARE / highest)
            plain_share -= share * PIN_CODE_SHARE
        if city in OTHER_SPELLINGS:
            spellings = OTHER_SPELLINGS[city]
            for text in spellings:
                _add_location(weights, text, share * OTHER_SPELLING_SHARE / len(spellings))
            plain_share -= share * OTHER_SPELLING_SHARE
        _add_location(weights, city, plain_share)

    comma_share = QUOTED_LOCATION_ROWS / REAL_ROWS
    for text in COMMA_LOCATIONS:
        _add_location(weights, text, comma_share / len(COMMA_LOCATIONS))

    town_share = 1.0 - sum(weights.values())
    town_weights = 1.0 / (np.arange(len(TOWNS)) + TOWN_ZIPF_OFFSET)
    for town, weight in zip(TOWNS, town_weights / town_weights.sum()):
        _add_location(weights, town, town_share * weight)

    texts = np.array(list(weights), dtype=object)
    shares = np.array(list(weights.values()))
    return texts, shares / shares.sum()


# ---------------------------------------------------------------------------------------------
# Generation.
# ---------------------------------------------------------------------------------------------
def _draw_ages(rng: np.random.Generator, size: int) -> np.ndarray:
    """Customer ages in years at AGE_REFERENCE_DATE (see the AGE_* targets)."""
    ages = AGE_CORE_MEDIAN * np.exp(AGE_CORE_LOG_SIGMA * rng.standard_normal(size))
    group = rng.random(size)
    older = group < AGE_OLDER_SHARE
    ages[older] = rng.normal(AGE_OLDER_MEAN, AGE_OLDER_SD, older.sum())
    minor = (group >= AGE_OLDER_SHARE) & (group < AGE_OLDER_SHARE + AGE_MINOR_SHARE)
    ages[minor] = rng.uniform(*AGE_MINOR_RANGE, minor.sum())
    very_old_start = AGE_OLDER_SHARE + AGE_MINOR_SHARE
    very_old = (group >= very_old_start) & (group < very_old_start + AGE_VERY_OLD_SHARE)
    ages[very_old] = rng.uniform(*AGE_VERY_OLD_RANGE, very_old.sum())
    return np.clip(ages, *AGE_LIMITS)


def _birth_date_texts(rng: np.random.Generator, size: int, four_digit_year_share: float) -> np.ndarray:
    """CustomerDOB text per customer, with the file's sentinel and missing markers."""
    first_day, two_digit, four_digit = _birth_date_table()
    reference_day_number = (AGE_REFERENCE_DATE - first_day).days
    day_numbers = reference_day_number - np.round(_draw_ages(rng, size) * 365.25).astype(np.int64)
    # Some birth dates are a default 1 January of the birth year.
    january_first = rng.random(size) < JANUARY_FIRST_DOB_SHARE
    years = (np.datetime64(first_day, "D") + day_numbers).astype("datetime64[Y]")
    year_start_numbers = (years.astype("datetime64[D]") - np.datetime64(first_day, "D")).astype(np.int64)
    day_numbers = np.where(january_first & (year_start_numbers >= 0), year_start_numbers, day_numbers)

    texts = two_digit[day_numbers]
    if four_digit_year_share > 0:
        four_digit_year = rng.random(size) < four_digit_year_share
        texts = np.where(four_digit_year, four_digit[day_numbers], texts)
    marker = rng.random(size)
    sentinel_share = DOB_SENTINEL_ROWS / REAL_ROWS
    missing_share = DOB_MISSING_ROWS / REAL_ROWS
    texts = np.where(marker < sentinel_share, DOB_SENTINEL_TEXT, texts)
    return np.where(
        (marker >= sentinel_share) & (marker < sentinel_share + missing_share), DOB_MISSING_TEXT, texts
    )


def _decimal_texts(paise: np.ndarray) -> np.ndarray:
    """Amounts in paise written like the real file: 25, 1762.5, 17819.05."""
    return (paise // 100).astype(str).astype(object) + _PAISE_TEXT[paise % 100]


def _draw_amount_paise(rng: np.random.Generator, log_shift: np.ndarray) -> np.ndarray:
    size = len(log_shift)
    log_amount = rng.normal(AMOUNT_LOG_MEDIAN, AMOUNT_LOG_SIGMA, size)
    large = rng.random(size) < LARGE_PAYMENT_SHARE
    log_amount[large] = rng.normal(LARGE_PAYMENT_LOG_MEDIAN, LARGE_PAYMENT_LOG_SIGMA, large.sum())
    rupees = np.exp(log_amount + log_shift)

    whole = rng.random(size) < WHOLE_RUPEE_AMOUNT_SHARE
    whole_rupees = np.maximum(np.round(rupees), 1.0)
    # People pay round sums: 100, 500, 2000 rather than 113, 487, 2130.
    round_number = whole & (rng.random(size) < ROUND_NUMBER_AMOUNT_SHARE)
    magnitude = 10.0 ** np.floor(np.log10(whole_rupees))
    whole_rupees = np.where(round_number, np.round(whole_rupees / magnitude) * magnitude, whole_rupees)

    paise = np.where(whole, whole_rupees * 100, np.maximum(np.round(rupees * 100), 1)).astype(np.int64)
    half_rupee = ~whole & (rng.random(size) < HALF_RUPEE_SHARE)
    paise = np.where(half_rupee, paise // 100 * 100 + 50, paise)
    return np.where(rng.random(size) < ZERO_AMOUNT_SHARE, 0, paise)


def _draw_customer_log_balances(rng: np.random.Generator, size: int) -> np.ndarray:
    log_balance = rng.normal(BALANCE_LOG_MEDIAN, BALANCE_LOG_SIGMA, size)
    group = rng.random(size)
    nearly_empty = group < NEARLY_EMPTY_ACCOUNT_SHARE
    low, high = np.log(NEARLY_EMPTY_BALANCE_RANGE)
    log_balance[nearly_empty] = rng.uniform(low, high, nearly_empty.sum())
    rich = (group >= NEARLY_EMPTY_ACCOUNT_SHARE) & (group < NEARLY_EMPTY_ACCOUNT_SHARE + RICH_CUSTOMER_SHARE)
    log_balance[rich] = rng.normal(RICH_BALANCE_LOG_MEDIAN, RICH_BALANCE_LOG_SIGMA, rich.sum())
    return log_balance


def _transaction_times(rng: np.random.Generator, size: int) -> np.ndarray:
    """TransactionTime as the integer HHMMSS (84706 = 08:47:06)."""
    hour_probabilities = np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS)
    hours = rng.choice(24, size=size, p=hour_probabilities)
    return hours * 10_000 + rng.integers(0, 60, size) * 100 + rng.integers(0, 60, size)


class _Plan:
    """Which customers exist, how many transactions each has, and how they split into chunks.

    Depends only on (rows, seed). ``transaction_counts`` is one int8 per customer: 8 MB for
    ten million rows, the only state that grows with the row count.
    """

    def __init__(self, rows: int, seed: int):
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        self.seed = seed
        counts = transactions_per_customer(rows)
        self.customers = sum(counts.values())
        transaction_counts = np.repeat(
            np.array(list(counts), dtype=np.int8), np.array(list(counts.values()))
        )
        layout_rng = np.random.default_rng([seed, 0])
        layout_rng.shuffle(transaction_counts)
        self.transaction_counts = transaction_counts

        self.id_digits = customer_id_digits(self.customers)
        self.id_range = 9 * 10 ** (self.id_digits - 1)
        self.id_offset = int(layout_rng.integers(self.id_range))
        # One row per million has gender "T" (at least one in a file of the real size): spread
        # evenly over the customers so that every chunk layout finds them by index.
        t_customers = round(_scaled(GENDER_T_ROWS, rows))
        self.gender_t_customers = (
            (np.arange(t_customers) + 0.5) * self.customers / max(t_customers, 1)
        ).astype(np.int64)

    def customer_ids(self, customer_indexes: np.ndarray) -> np.ndarray:
        """``C`` + digits: an affine permutation of the index, so distinct and scattered."""
        multiplier = CUSTOMER_ID_MULTIPLIER % self.id_range
        permuted = (customer_indexes * multiplier + self.id_offset) % self.id_range
        numbers = 10 ** (self.id_digits - 1) + permuted
        return "C" + numbers.astype(str).astype(object)

    def chunks(self) -> Iterator[tuple[int, int, int, np.ndarray]]:
        """(chunk number, first row, first customer, transaction counts) of each chunk."""
        first_row, first_customer, number = 0, 0, 0
        while first_customer < self.customers:
            # Every customer has at least one row, so CHUNK_ROWS customers always fill a chunk.
            window = self.transaction_counts[first_customer : first_customer + CHUNK_ROWS]
            rows_so_far = np.cumsum(window, dtype=np.int64)
            customers_in_chunk = int(np.searchsorted(rows_so_far, CHUNK_ROWS)) + 1
            customers_in_chunk = min(customers_in_chunk, len(window))
            counts = window[:customers_in_chunk]
            yield number, first_row, first_customer, counts
            first_row += int(rows_so_far[customers_in_chunk - 1])
            first_customer += customers_in_chunk
            number += 1

    def frames(self, four_digit_year_share: float, delivery: Delivery | None = None) -> Iterator[pd.DataFrame]:
        for chunk_number, first_row, first_customer, counts in self.chunks():
            yield _chunk_frame(self, chunk_number, first_row, first_customer, counts, four_digit_year_share, delivery or Delivery())


@dataclass(frozen=True)
class Delivery:
    """What sets one delivery apart from the Kaggle file: a single transaction date for every row (a
    day's extract), and TransactionIDs that start after those of earlier deliveries."""

    transaction_date: dt.date | None = None
    first_transaction_id: int = 1


def _chunk_frame(
    plan: _Plan, chunk_number: int, first_row: int, first_customer: int, counts: np.ndarray,
    four_digit_year_share: float, delivery: Delivery,
) -> pd.DataFrame:
    """The rows of one chunk as output text, in file order."""
    rng = np.random.default_rng([plan.seed, 1, chunk_number])
    customers = len(counts)
    rows = int(counts.sum(dtype=np.int64))

    # Per customer: fixed across all of the customer's transactions.
    customer_indexes = first_customer + np.arange(customers, dtype=np.int64)
    customer_ids = plan.customer_ids(customer_indexes)
    birth_dates = _birth_date_texts(rng, customers, four_digit_year_share)

    gender_draw = rng.random(customers)
    known_gender_share = 1 - GENDER_MISSING_ROWS / REAL_ROWS
    male_share = GENDER_MALE_ROWS / (GENDER_MALE_ROWS + GENDER_FEMALE_ROWS) * known_gender_share
    genders = np.where(gender_draw < male_share, "M", np.where(gender_draw < known_gender_share, "F", ""))
    genders = genders.astype(object)
    genders[np.isin(customer_indexes, plan.gender_t_customers)] = "T"

    location_texts, location_shares = location_table()
    locations = location_texts[rng.choice(len(location_texts), size=customers, p=location_shares)]
    locations = np.where(rng.random(customers) < LOCATION_MISSING_ROWS / REAL_ROWS, "", locations)
    customer_log_balances = _draw_customer_log_balances(rng, customers)

    # Per transaction: the customer's rows are spread over the chunk in random order.
    row_customers = np.repeat(np.arange(customers), counts)[rng.permutation(rows)]
    dates, date_probabilities = _transaction_dates()
    date_texts = np.array([_date_text(day) for day in dates], dtype=object)
    date_numbers = rng.choice(len(dates), size=rows, p=date_probabilities)
    row_dates = date_texts[date_numbers] if delivery.transaction_date is None else np.full(rows, _date_text(delivery.transaction_date), dtype=object)

    row_genders = genders[row_customers]
    log_shift = np.where(row_genders == "M", MALE_LOG_AMOUNT_SHIFT, 0.0)
    log_shift = np.where(row_genders == "F", FEMALE_LOG_AMOUNT_SHIFT, log_shift)
    amounts = _decimal_texts(_draw_amount_paise(rng, log_shift))

    log_balances = customer_log_balances[row_customers] + rng.normal(
        0, BALANCE_LOG_SIGMA_BETWEEN_TRANSACTIONS, rows
    )
    balance_paise = np.round(np.exp(log_balances) * 100).astype(np.int64)
    balance_paise = np.where(rng.random(rows) < ZERO_BALANCE_SHARE, 0, balance_paise)
    balances = _decimal_texts(balance_paise)
    balances[rng.random(rows) < BALANCE_MISSING_ROWS / REAL_ROWS] = ""

    transaction_numbers = np.arange(first_row, first_row + rows) + delivery.first_transaction_id
    return pd.DataFrame(
        {
            "TransactionID": "T" + transaction_numbers.astype(str).astype(object),
            "CustomerID": customer_ids[row_customers],
            "CustomerDOB": birth_dates[row_customers],
            "CustGender": row_genders,
            "CustLocation": locations[row_customers],
            "CustAccountBalance": balances,
            "TransactionDate": row_dates,
            "TransactionTime": _transaction_times(rng, rows),
            "TransactionAmount (INR)": amounts,
        }
    )


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # QUOTE_MINIMAL (the default) quotes exactly the locations that contain a comma.
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode()


def generate_csv(
    path: str | Path, rows: int = DEFAULT_ROWS, seed: int = 42, compress: str | None = None,
    four_digit_year_share: float = 0.0, delivery: Delivery | None = None,
) -> dict:
    """Write one synthetic ``bank_transactions.csv`` (gzip if asked or if the name ends in .gz);
    ``delivery`` makes it one day's extract instead of the Kaggle file's 55 days."""
    if compress not in (None, "gzip"):
        raise ValueError(f"unsupported compression {compress!r}; use None or 'gzip'")
    plan = _Plan(rows, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw:
        output = raw
        if compress == "gzip" or path.name.endswith(".gz"):
            # No file name and a zero time stamp in the gzip header: same bytes on every run.
            # Level 6 compresses nearly as well as 9 in half the time.
            output = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        with output:
            output.write((HEADER + "\n").encode())
            for frame in plan.frames(four_digit_year_share, delivery):
                output.write(_csv_bytes(frame))
    return {"rows": rows, "customers": plan.customers, "path": str(path), "bytes": path.stat().st_size}


def generate_daily_files(
    landing_dir: str | Path, rows: int = DEFAULT_ROWS, seed: int = 42, four_digit_year_share: float = 0.0
) -> dict:
    """The rows of ``generate_csv`` split by transaction date, for backfills:
    ``landing_dir/<YYYY-MM-DD>/bank_transactions.csv``, each with the header, rows in file order."""
    plan = _Plan(rows, seed)
    landing_dir = Path(landing_dir)
    dates, _ = _transaction_dates()
    iso_date_by_text = {_date_text(day): day.isoformat() for day in dates}
    paths: dict[str, Path] = {}
    outputs = {}
    rows_by_date: dict[str, int] = {}
    try:
        for frame in plan.frames(four_digit_year_share):
            for date_text, day_frame in frame.groupby("TransactionDate", sort=False):
                iso_date = iso_date_by_text[date_text]
                if iso_date not in outputs:
                    paths[iso_date] = landing_dir / iso_date / "bank_transactions.csv"
                    paths[iso_date].parent.mkdir(parents=True, exist_ok=True)
                    outputs[iso_date] = open(paths[iso_date], "wb")
                    outputs[iso_date].write((HEADER + "\n").encode())
                    rows_by_date[iso_date] = 0
                outputs[iso_date].write(_csv_bytes(day_frame))
                rows_by_date[iso_date] += len(day_frame)
    finally:
        for output in outputs.values():
            output.close()
    return {
        "rows": rows,
        "customers": plan.customers,
        "landing_dir": str(landing_dir),
        "files": len(paths),
        "rows_by_date": dict(sorted(rows_by_date.items())),
        "bytes": sum(path.stat().st_size for path in paths.values()),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m bankseg.synthetic",
        description="Generate synthetic bank_transactions.csv in the format of the public Kaggle file.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of transactions")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    parser.add_argument(
        "--out", required=True, help="output file (.csv or .csv.gz), or the landing dir with --daily"
    )
    parser.add_argument("--daily", action="store_true", help="one file per transaction date under --out")
    parser.add_argument("--transaction-date", type=dt.date.fromisoformat, default=None,
                        help="one day's delivery: every row on this date (YYYY-MM-DD)")
    parser.add_argument("--first-transaction-id", type=int, default=1, help="number of the first TransactionID (T<n>)")
    parser.add_argument(
        "--four-digit-year-share", type=float, default=0.0,
        help="share of customers whose DOB is written with a 4-digit year (some copies of the file)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.daily:
        summary = generate_daily_files(args.out, args.rows, args.seed, args.four_digit_year_share)
        print(
            f"wrote {summary['rows']} rows ({summary['customers']} customers) into {summary['files']} "
            f"daily files under {summary['landing_dir']} ({summary['bytes']} bytes)"
        )
    else:
        summary = generate_csv(
            args.out, args.rows, args.seed, four_digit_year_share=args.four_digit_year_share,
            delivery=Delivery(args.transaction_date, args.first_transaction_id),
        )
        print(
            f"wrote {summary['rows']} rows ({summary['customers']} customers) to {summary['path']} "
            f"({summary['bytes']} bytes)"
        )
    return summary


if __name__ == "__main__":
    main()
