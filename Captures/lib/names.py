"""Where the benign names come from, and the Public Suffix List logic used to check them.

Registered domains:
  * POPULAR: a hand-written list of well-known, registered sites and the third-party/CDN domains that
    browsers, mail clients and operating systems really contact (what a top-sites list would hold).
  * the long tail: registered domains drawn from Chromium's HSTS preload list as shipped by the PyPI
    package `hstspreload` (real domains that their owners submitted for preloading).
Host labels below those domains come from Debian `dnsrecon`'s subdomains-top1mil-5000.txt (the most
common subdomain labels seen in a top-1M crawl), in their published order (most common first).
The Public Suffix List is Debian `publicsuffix`'s copy.
"""
import os

PSL_PATH = "/usr/share/publicsuffix/public_suffix_list.dat"
SUBDOMAINS_PATH = "/usr/share/dnsrecon/subdomains-top1mil-5000.txt"

# Well-known registered sites (first-party destinations), most visited first (rough order).
POPULAR = [
    "google.com", "youtube.com", "facebook.com", "wikipedia.org", "instagram.com", "amazon.com",
    "reddit.com", "github.com", "microsoft.com", "linkedin.com", "apple.com", "netflix.com",
    "twitter.com", "x.com", "bing.com", "yahoo.com", "office.com", "live.com", "whatsapp.com",
    "stackoverflow.com", "zoom.us", "twitch.tv", "spotify.com", "ebay.com", "paypal.com",
    "dropbox.com", "slack.com", "mozilla.org", "debian.org", "ubuntu.com", "cloudflare.com",
    "adobe.com", "salesforce.com", "nytimes.com", "bbc.co.uk", "theguardian.com", "cnn.com",
    "duckduckgo.com", "medium.com", "pinterest.com", "tiktok.com", "imdb.com", "booking.com",
    "etsy.com", "walmart.com", "aliexpress.com", "python.org", "npmjs.com", "docker.com",
    "atlassian.net", "notion.so", "figma.com", "openai.com", "discord.com", "telegram.org",
    "weather.com", "spiegel.de", "lemonde.fr", "yandex.ru", "baidu.com", "rakuten.co.jp",
]

# Third-party names pulled in by pages, and background traffic of operating systems and apps.
THIRD_PARTY_HOSTS = [
    "fonts.googleapis.com", "fonts.gstatic.com", "www.gstatic.com", "ajax.googleapis.com",
    "www.google-analytics.com", "www.googletagmanager.com", "stats.g.doubleclick.net",
    "googleads.g.doubleclick.net", "pagead2.googlesyndication.com", "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com", "static.cloudflareinsights.com", "connect.facebook.net",
    "platform.twitter.com", "abs.twimg.com", "pbs.twimg.com", "static.licdn.com", "js.stripe.com",
    "m.stripe.network", "browser.sentry-cdn.com", "cdn.segment.com", "api.segment.io",
    "bam.nr-data.net", "js-agent.newrelic.com", "use.typekit.net", "p.typekit.net",
    "cdn.cookielaw.org", "geolocation.onetrust.com", "i.ytimg.com", "yt3.ggpht.com",
    "avatars.githubusercontent.com", "objects.githubusercontent.com", "api.github.com",
    "upload.wikimedia.org", "s.yimg.com", "www.redditstatic.com", "styles.redditmedia.com",
    "static.xx.fbcdn.net", "assets.adobedtm.com", "unpkg.com", "polyfill-fastly.io",
]
BACKGROUND_HOSTS = [
    "deb.debian.org", "security.debian.org", "0.debian.pool.ntp.org", "1.debian.pool.ntp.org",
    "2.debian.pool.ntp.org", "3.debian.pool.ntp.org", "connectivity-check.ubuntu.com",
    "detectportal.firefox.com", "firefox.settings.services.mozilla.com",
    "incoming.telemetry.mozilla.org", "location.services.mozilla.com", "push.services.mozilla.com",
    "safebrowsing.googleapis.com", "clients2.google.com", "update.googleapis.com",
    "accounts.google.com", "www.msftconnecttest.com", "ctldl.windowsupdate.com",
    "login.microsoftonline.com", "outlook.office365.com", "teams.microsoft.com",
    "registry.npmjs.org", "pypi.org", "files.pythonhosted.org", "time.cloudflare.com",
    "ocsp.digicert.com", "r3.o.lencr.org", "ocsp.pki.goog", "crl.sectigo.com",
    "swscan.apple.com", "gateway.icloud.com", "mesu.apple.com", "edge.microsoft.com",
]


def load_psl(path=PSL_PATH, private=True):
    """(rules, exceptions, wildcards); private=False keeps only the ICANN section."""
    rules, exceptions, wildcards = set(), set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not private and "===BEGIN PRIVATE DOMAINS===" in line:
                break
            if not line or line.startswith("//"):
                continue
            rule = line.split()[0].lower()
            if rule.startswith("!"):
                exceptions.add(rule[1:])
            elif rule.startswith("*."):
                wildcards.add(rule[2:])
            else:
                rules.add(rule)
    return rules, exceptions, wildcards


_PSL = {}


def registered_domain(name, private=True):
    """eTLD+1 of `name` by the Public Suffix List, or None when the name is itself a suffix.
    private=False ignores the list's private section (github.io, s3.amazonaws.com, ...)."""
    if private not in _PSL:
        _PSL[private] = load_psl(private=private)
    rules, exceptions, wildcards = _PSL[private]
    labels = name.lower().rstrip(".").split(".")
    suffix_len = 1  # implicit "*" rule
    for i in range(len(labels)):
        cand = ".".join(labels[i:])
        if cand in exceptions:
            suffix_len = max(suffix_len, len(labels) - i - 1)
            break
        if cand in rules:
            suffix_len = max(suffix_len, len(labels) - i)
        parent = ".".join(labels[i + 1:])
        if i + 1 <= len(labels) - 1 and parent in wildcards:
            suffix_len = max(suffix_len, len(labels) - i)
    if len(labels) <= suffix_len:
        return None
    return ".".join(labels[-(suffix_len + 1):])


def hsts_registered_domains():
    """All preload-list entries that are registered domains themselves (eTLD+1)."""
    import hstspreload
    from hstspreload import _JUMPTABLE, _iter_entries, open_pkg_binary

    out = set()
    with open_pkg_binary("hstspreload.bin") as f:
        for layer in _JUMPTABLE:
            for jump in layer:
                if not jump:
                    continue
                f.seek(jump[0])
                data = bytearray(jump[1])
                f.readinto(data)
                for is_leaf, _inc, label in _iter_entries(data):
                    if not is_leaf:
                        continue
                    host = label.decode("ascii", "replace")
                    if registered_domain(host, private=False) == host:
                        out.add(host)
    return sorted(out), hstspreload.__version__


def subdomain_labels(limit=400):
    """Most common subdomain labels, single-label only, in published order."""
    out = []
    with open(SUBDOMAINS_PATH, encoding="utf-8") as f:
        for line in f:
            w = line.strip().lower()
            if not w or "." in w or w == "localhost" or not all(c.isalnum() or c == "-" for c in w):
                continue
            out.append(w)
            if len(out) >= limit:
                break
    return out
