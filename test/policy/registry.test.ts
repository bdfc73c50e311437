import { describe, expect, it } from "vitest";
import { BASES, TENANTS } from "../../src/policy/bundled.generated";
import { createRegistry, NECESSARY_COOKIES, POLICIES, PolicyError, type LocalizedText } from "../../src/policy/index";

// The seed tenants (the five portals this project started with). Operators add more: nothing
// here may depend on how many tenants policies/ holds, only on these five being there.
const TENANT_HOSTS = {
  "header-with-theme-discovery": "header-with-theme-discovery.opendatasoft.com",
  inai: "inai.opendatasoft.com",
  maia: "maia.opendatasoft.com",
  "zapier-odsapps": "zapier-odsapps.opendatasoft.com",
  interpolilli: "interpolilli.opendatasoft.com",
};

// The English text of the published policy (/work/shared/seeds), section by section.
const SEED_SECTIONS = [
  {
    paragraphs: [
      "In order to provide you with the best service possible, we use cookies to ensure it functions properly, and to perform web analytics.",
    ],
  },
  {
    heading: "What is a cookie?",
    paragraphs: [
      "A cookie is a generally small piece of data identified by a name that may be sent to your browser by a website you are visiting. Your web browser will store it for a certain period of time, and will send it back to the web server each time you visit again. Cookies have many uses: they can be used to remember your customer log-in information for an online store, the current contents of your shopping cart, as an identifier for tracking your browsing for statistical or advertising purposes, etc.",
    ],
  },
  {
    heading: "Several types of cookies exist",
    paragraphs: [
      "“Necessary” internal cookies allow information to be saved between two visits to the same website by the same device. They can save a shopping cart, log-in information, or interface preferences. They do not require the user’s consent.",
      "“Statistical” cookies make it possible to track an Internet user's actions on a website. When statistics are anonymized (meaning they cannot be traced back to a person), user consent is not required.",
      "“Internal” or “first-party” cookies are stored by the website visited. They can be stored in addition to the necessary cookies, and can be used to collect personal data, track user behavior, and for advertising purposes.",
      "“Third-party” cookies are cookies stored by (or for) a Website B (often an advertising agency) on Website A. This allows Website B to see what pages the user visited on Website A, and collect information about the user.",
    ],
  },
  { heading: "What cookies are used on the {site} platform", paragraphs: [] },
];

// The seed's table of necessary cookies ("front et back office" corrected in English).
const SEED_ROWS = {
  sessionid: ["Authentication (front and back office)", "To remember the user from one page to another"],
  django_language: ["Language selection (front and back office)", "To remember the visitor's language"],
  csrftoken: ["API (CSRF) (front and back office)", "To retrieve data via API calls"],
  cookies_preferences: ["Choices related to your cookie preferences", "To remember the visitor's cookie preferences"],
};

const en = (t: LocalizedText | undefined) => (typeof t === "string" ? t : t?.en);
const fr = (t: LocalizedText | undefined) => (typeof t === "string" ? t : t?.fr);

describe("bundled policies", () => {
  it("loads every bundled tenant file, the seed tenants with their hosts and siteUrl", () => {
    expect(POLICIES.all.map((p) => `${p.id}.json`).sort()).toEqual(Object.keys(TENANTS).sort());
    expect(POLICIES.all.map((p) => p.id)).toEqual(expect.arrayContaining(Object.keys(TENANT_HOSTS)));
    for (const [id, host] of Object.entries(TENANT_HOSTS)) {
      const policy = POLICIES.byId(id)!;
      expect(policy.hosts).toEqual([host]);
      expect(policy.siteUrl).toBe(`https://${host}`);
      expect(policy.parentDomain).toBe("opendatasoft.com");
      expect(policy.expireUnknown).toBe(true);
      expect(POLICIES.byHost(host)).toBe(policy);
    }
  });

  it("finds tenants by raw Host values and misses unknown hosts", () => {
    expect(POLICIES.byHost("MAIA.opendatasoft.com.:443")?.id).toBe("maia");
    expect(POLICIES.byHost("opendatasoft.com")).toBeUndefined();
    expect(POLICIES.byHost("evil.maia.opendatasoft.com")).toBeUndefined();
    expect(POLICIES.byHost("maia.opendatasoft.com@evil")).toBeUndefined();
    expect(POLICIES.byId("nope")).toBeUndefined();
  });

  it.each(Object.keys(TENANT_HOSTS))("%s has every seed section, in order, in English and French", (id) => {
    const { sections } = POLICIES.byId(id)!;
    expect(sections).toHaveLength(SEED_SECTIONS.length);
    SEED_SECTIONS.forEach((seed, i) => {
      if (seed.heading) expect(en(sections[i].heading)).toBe(seed.heading);
      expect(sections[i].paragraphs.map(en)).toEqual(seed.paragraphs);
      for (const t of [sections[i].heading, ...sections[i].paragraphs]) {
        expect(fr(t)).toBeTruthy();
        expect(fr(t)).not.toBe(en(t));
      }
    });
    expect(fr(sections[3].heading)).toContain("{site}");
  });

  it.each(Object.keys(TENANT_HOSTS))("%s declares the four necessary cookies as in the seed table", (id) => {
    const policy = POLICIES.byId(id)!;
    for (const name of NECESSARY_COOKIES) {
      const hit = policy.classify(name)!;
      expect(hit.service.category).toBe("necessary");
      expect(hit.service.consentKey).toBe("necessary");
      expect(hit.service.provider).toBe("Opendatasoft");
      const [fn, purpose] = SEED_ROWS[name];
      expect(en(hit.cookie.function)).toBe(fn);
      expect(en(hit.cookie.purpose)).toBe(purpose);
      expect(fr(hit.cookie.function)).toMatch(/front office et back office|préférences/);
    }
    expect(policy.classify("sessionid")!.cookie.httpOnly).toBe(true);
  });

  it("classifies exact names, prefixes and unknown cookies", () => {
    const maia = POLICIES.byId("maia")!;
    const cases: Array<[string, string | undefined, string | undefined]> = [
      ["_ga", "google-analytics", "_ga"],
      ["_ga_XYZ", "google-analytics", "_ga_"],
      ["_gid", "google-analytics", "_gid"],
      ["_gat_gtag_UA_1", "google-analytics", "_gat_"],
      ["_pk_id.1.abc", "matomo", "_pk_id."],
      ["_pk_ses.1.abc", "matomo", "_pk_ses."],
      ["_pk_id.", undefined, undefined], // a prefix alone is not a cookie of the family
      ["xtvrn", "xiti", "xtvrn"],
      ["atuserid", "at-internet", "atuserid"],
      ["SESSIONID", undefined, undefined], // names are case-sensitive
      ["_fbp", undefined, undefined],
    ];
    for (const [name, service, cookie] of cases) {
      const hit = maia.classify(name);
      expect([name, hit?.service.id, hit?.cookie.name]).toEqual([name, service, cookie]);
    }
    expect(maia.servicesByKey.get("ga")?.map((s) => s.id)).toEqual(["google-analytics"]);
    expect([...maia.servicesByKey.keys()].sort()).toEqual(["at", "ga", "matomo", "necessary", "xiti"]);
  });

  it("gives every statistics service blocking hosts or markers", () => {
    const maia = POLICIES.byId("maia")!;
    const ga = maia.services.find((s) => s.id === "google-analytics")!;
    expect(ga.block).toEqual({ hosts: ["googletagmanager.com", "google-analytics.com"], markers: ["gtag(", "GoogleAnalyticsObject", "/gtag/js", "gtm.js", "/g/collect?", "/j/collect?"] });
    for (const s of maia.services.filter((s) => s.category === "statistics")) {
      expect(s.block?.markers?.length, s.id).toBeGreaterThan(0);
    }
  });

  it("freezes the policies", () => {
    const maia = POLICIES.byId("maia")!;
    expect(() => (maia.services[1].cookies as unknown[]).push({})).toThrow(TypeError);
    expect(Object.isFrozen(maia.hosts)).toBe(true);
  });
});

describe("createRegistry merge rule", () => {
  const base = () => structuredClone(BASES["opendatasoft.json"]) as Record<string, unknown>;
  const tenant = (extra: Record<string, unknown> = {}) => ({
    extends: "opendatasoft",
    id: "sixth",
    // RFC 6761 reserves .test: no operator's tenant can claim these hosts.
    hosts: ["data.example.test", "www.data.example.test"],
    siteUrl: "https://data.example.test",
    ...extra,
  });

  it("a sixth tenant is one file", () => {
    const registry = createRegistry(BASES, { ...TENANTS, "sixth.json": tenant() });
    expect(registry.all).toHaveLength(Object.keys(TENANTS).length + 1);
    expect(registry.byHost("www.data.example.test")?.id).toBe("sixth");
    expect(registry.byId("sixth")?.services.map((s) => s.id)).toEqual((base().services as Array<{ id: string }>).map((s) => s.id));
  });

  it("lets the tenant replace top-level fields", () => {
    const registry = createRegistry({ "opendatasoft.json": base() }, { "sixth.json": tenant({ revision: "2027-01-01", csp: "off", parentDomain: "example.test" }) });
    const p = registry.byId("sixth")!;
    expect([p.revision, p.csp, p.parentDomain]).toEqual(["2027-01-01", "off", "example.test"]);
    expect(p.sections).toHaveLength(4);
  });

  it("adds blocking hosts to a base service and appends new services", () => {
    const services = [
      { id: "matomo", block: { hosts: ["stats.example.org"] } },
      {
        id: "hotjar", consentKey: "hotjar", category: "statistics", provider: "Hotjar", function: "Heatmaps", purpose: "UX",
        cookies: [{ name: "_hjSessionUser_", prefix: true, duration: "1 year" }],
      },
    ];
    const p = createRegistry({ "opendatasoft.json": base() }, { "sixth.json": tenant({ services }) }).byId("sixth")!;
    expect(p.services.map((s) => s.id)).toEqual([...(base().services as Array<{ id: string }>).map((s) => s.id), "hotjar"]);
    const matomo = p.services.find((s) => s.id === "matomo")!;
    expect(matomo.block).toEqual({ hosts: ["matomo.cloud", "stats.example.org"], markers: ["_paq.push", "matomo.js", "piwik.js", "matomo.php", "piwik.php", "_mtm.push"] });
    expect(matomo.cookies).toHaveLength(3);
    expect(p.classify("_hjSessionUser_123")?.service.id).toBe("hotjar");
    // The base itself is untouched for the other tenants.
    expect(POLICIES.byId("maia")!.services.find((s) => s.id === "matomo")!.block?.hosts).toEqual(["matomo.cloud"]);
  });

  it("adds a tenant's necessary sources to the base's", () => {
    const p = createRegistry({ "opendatasoft.json": base() }, { "sixth.json": tenant({ necessarySources: ["tiles.example.org"] }) }).byId("sixth")!;
    const baseSources = (base() as { necessarySources: string[] }).necessarySources;
    expect(baseSources.length).toBeGreaterThan(0);
    expect(p.necessarySources).toEqual([...baseSources, "tiles.example.org"]);
    expect(POLICIES.byId("maia")!.necessarySources).toEqual(baseSources);
    expect(POLICIES.byId("maia")!.csp).toBe("enforce");
  });

  it("concatenates block lists of an overridden service", () => {
    const services = [{ id: "xiti", block: { hosts: ["logc1.xiti.example"] } }];
    const p = createRegistry({ "opendatasoft.json": base() }, { "sixth.json": tenant({ services }) }).byId("sixth")!;
    expect(p.services.find((s) => s.id === "xiti")!.block).toEqual({ hosts: ["xiti.com", "logc1.xiti.example"], markers: ["xtcore.js", "xt_med"] });
  });

  it("accepts a complete tenant file without extends", () => {
    const full = { ...base(), id: "solo", hosts: ["solo.example.org"], siteUrl: "https://solo.example.org" };
    expect(createRegistry({}, { "solo.json": full }).byHost("solo.example.org")?.id).toBe("solo");
  });

  it("returns an empty registry for no tenants", () => {
    const registry = createRegistry(BASES, {});
    expect([registry.all.length, registry.byHost("maia.opendatasoft.com")]).toEqual([0, undefined]);
  });

  it("names the tenant that claims a host second, in the order given, and the one holding it", () => {
    const claim = (id: string) => tenant({ id, hosts: [`${id}.example.test`, "shared.example.test"] });
    const err = (() => {
      try {
        createRegistry(BASES, { "zz-old.json": claim("zz-old"), "aa-new.json": claim("aa-new") });
      } catch (e) {
        return e as PolicyError;
      }
    })()!;
    expect(err).toBeInstanceOf(PolicyError);
    expect([err.file, err.field, err.reason]).toEqual(["aa-new.json", "hosts[1]", 'host "shared.example.test" is already claimed by zz-old.json']);
  });

  it("throws PolicyError from bad bundled-style input", () => {
    expect(() => createRegistry(BASES, { "sixth.json": "nope" })).toThrow(PolicyError);
  });
});
