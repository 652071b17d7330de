"""Calibration targets of the synthetic ``bank_transactions.csv``: the public Kaggle file in numbers.

Every figure comes from the description of the public Kaggle file (``DATASET.md``: row and
customer counts, null and sentinel counts, quartiles, month shares, top cities, age profile) or
from its first 7,000 rows (spellings of locations, spread of birth years and times of day). Counts
are per the full file of 1,048,567 rows; ``bankseg.synthetic`` scales them to the rows requested.
Data only: the generator's logic lives in ``bankseg.synthetic``.
"""

from __future__ import annotations

import datetime as dt

REAL_ROWS = 1_048_567

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

