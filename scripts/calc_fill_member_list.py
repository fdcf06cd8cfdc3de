# Used by scripts/try-member-list-calc.sh (a manual check, not part of the tests).
# Fills the app's member-list template in LibreOffice Calc (through UNO), as a person would:
# ten cities typed under the notes row, figures typed as text the way people type them, saved
# as XLSX by Calc itself.
import sys, time, subprocess, uno
from com.sun.star.beans import PropertyValue

src, dst = sys.argv[1], sys.argv[2]
proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--accept=socket,host=127.0.0.1,port=2002;urp;"])
ctx = None
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(100):
    try:
        ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=2002;urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.3)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
def prop(n, v):
    p = PropertyValue(); p.Name = n; p.Value = v; return p
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
sheet = doc.Sheets.getByIndex(0)
headers = []
for c in range(40):
    v = sheet.getCellByPosition(c, 0).getString()
    if not v: break
    headers.append(v)
print("template headers:", headers)
rows = [
    {"City": "Rosario", "Country": "Argentina", "Region": "Latin America and the Caribbean", "Member since": 2021, "Population": "1,276,000", "Population year": 2019, "Area (km²)": 178.7, "Mayor": "Pablo Javkin", "Focal point": "Laura Gómez", "Focal point email": "lgomez@rosario.gob.ar", "Introduction": "Rosario is a river port on the Paraná."},
    {"City": "Wuhan", "Country": "China", "Member since": 2018, "Population": "11.2 million", "Population year": 2020, "Area (km²)": "8,569", "Focal point": "Li Wei", "Focal point email": "liwei@wuhan.gov.cn", "Introduction": "Wuhan is a centre of higher education in central China."},
    {"City": "Lyon", "Country": "France", "Region": "Europe and North America", "Member since": 2023, "Population": "522 250", "Population year": 2020, "Focal point": "Claire Martin", "Focal point email": "cmartin@lyon.fr", "Introduction": "Lyon, a city of knowledge on two rivers."},
    {"City": "Tunis", "Country": "Tunisia", "Country code": "TN", "Region": "Arab States", "Member since": 2020, "Population": "638 845 (2014)", "Focal point": "Amel Ben Salah", "Introduction": "Tunis opens its libraries to all ages."},
    {"City": "Puebla", "Country": "Mexico", "Member since": 2022, "Population": 1692181, "Population year": 2020, "Focal point": "Ana Ruiz", "Focal point email": "aruiz@puebla.gob.mx", "Introduction": "Puebla learns in its neighbourhoods."},
    {"City": "Kampala", "Country": "Uganda", "Region": "Africa", "Member since": 2021, "Population": "1.68 million", "Population year": 2020, "Focal point": "Grace Namutebi", "Focal point email": "gnamutebi@kcca.go.ug", "Introduction": "Kampala brings learning to its markets."},
    {"City": "Aqaba", "Country": "Jordan", "Member since": 2022, "Population": "n/a", "Focal point": "Omar Haddad", "Introduction": "Aqaba learns by the Red Sea."},
    {"City": "Busan", "Country": "Republic of Korea", "Member since": 2016, "Population": "3,350,000", "Population year": 2021, "Focal point": "Kim Min-jun", "Focal point email": "mjkim@busan.go.kr", "Introduction": "Busan's lifelong learning festival fills the port."},
    {"City": "Tampere", "Country": "Finland", "Member since": 2020, "Population": "244 029", "Population year": 2021, "Focal point": "Aino Virtanen", "Focal point email": "aino.virtanen@tampere.fi", "Introduction": "Tampere learns in libraries and saunas alike."},
    {"City": "Bogotá", "Country": "Colombia", "Member since": 2021, "Population": "7.9 million", "Population year": 2022, "Focal point": "Camila Torres", "Focal point email": "ctorres@bogota.gov.co", "Introduction": "Bogotá opens its schools to the whole neighbourhood."},
]
# Row 2 is the template's notes row: cities start on row 3.
for r, row in enumerate(rows):
    for c, h in enumerate(headers):
        if h in row:
            v = row[h]
            cell = sheet.getCellByPosition(c, 2 + r)
            if isinstance(v, (int, float)): cell.setValue(v)
            else: cell.setString(v)
doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "Calc MS Excel 2007 XML"),))
doc.close(True)
try: desktop.terminate()
except Exception: pass
proc.wait(timeout=30)
print("saved", dst)
