/**
 * Renders the /cookies page as HTML with hono/jsx, which escapes every value taken from a
 * policy file. Pure; no I/O. The page has no script: the form is a plain POST.
 */
import { raw } from "hono/html";
import type { FC } from "hono/jsx";
import { UI, type UiStrings } from "./i18n";
import { serviceRows, type CategoryView, type ChoiceView, type PolicyView, type ServiceView } from "./view";

/** Inline styles, allowed by the CSP nonce. Focus is always visible (WCAG 2.4.7). */
const CSS = `
:root{color-scheme:light;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
body{margin:0}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem;overflow-wrap:break-word}
h1{font-size:1.8rem}h2{font-size:1.35rem;margin-top:2rem}h3{font-size:1.1rem}
.choices h2{margin-top:.25rem}
.choices{border:2px solid #1b1b1b;border-radius:.5rem;padding:1rem 1.25rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
button{font:inherit;font-weight:600;min-width:10rem;padding:.6rem 1.2rem;border:2px solid #1b1b1b;border-radius:.4rem;background:#1b1b1b;color:#fff;cursor:pointer}
button.save{background:#fff;color:#1b1b1b}
fieldset{border:1px solid #888;border-radius:.4rem;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.switch{display:flex;align-items:center;gap:.5rem;margin:.4rem 0}
input[type=checkbox]{width:1.25rem;height:1.25rem;accent-color:#1b1b1b}
:focus-visible{outline:3px solid #0b57d0;outline-offset:3px}
nav.back{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;padding:.75rem 0 0}
nav.back a{color:#0b57d0;padding:.25rem 0}
.table-scroll{overflow-x:auto;margin:.5rem 0 1.5rem;max-width:100%}
.scroll-hint{display:none;font-size:.9rem;color:#555;margin:.25rem 0}
table{border-collapse:collapse;width:100%}
@media (max-width:40rem){
th,td{padding:.3rem .35rem;font-size:.92rem}
td{overflow-wrap:anywhere}
td code{white-space:normal;overflow-wrap:anywhere}
.scroll-hint{display:block}
.actions button{flex:1 1 10rem;min-width:0}
}
caption{text-align:left;font-weight:600;padding:.25rem 0;max-width:calc(100vw - 2.5rem)}
th,td{border:1px solid #999;padding:.4rem .5rem;text-align:left;vertical-align:top}
thead th{background:#eee}
ul.plain{list-style:none;margin:0;padding:0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
td code{white-space:nowrap}
`;

export interface PageOptions {
  /** CSP nonce for the inline <style>. */
  nonce: string;
  /** The already-validated same-host path the form returns to. */
  returnTo: string;
  /** The already-validated same-host page the visitor came from, for the back link; none when unknown. */
  backTo?: string;
}

function statusText(view: PolicyView, t: UiStrings): string {
  if (!view.consent.explicit) return view.consent.source === "gpc" ? t.statusGpc : t.statusNone;
  return t.statusChosen;
}

const Choices: FC<{ view: PolicyView; t: UiStrings; returnTo: string }> = ({ view, t, returnTo }) => {
  return (
    <section class="choices" aria-labelledby="your-choices">
      <h2 id="your-choices">{t.yourChoices}</h2>
      <p>{statusText(view, t)}</p>
      {view.consent.record && (
        <p id="choice-reference">
          {t.choiceOf(view.consent.record.date)} <code>{view.consent.record.id}</code>.
        </p>
      )}
      {view.consent.explicit && view.choices.length > 0 && (
        <ul id="current-choices">
          {view.choices.map((c) => (
            <li>
              {c.label} ({c.categoryName}){t.colon}
              {c.granted ? t.allowed : t.refused}
            </li>
          ))}
        </ul>
      )}
      <form method="post" action="/cookies">
        <input type="hidden" name="return" value={returnTo} />
        <input type="hidden" name="from" value="page" />
        <input type="hidden" name="lang" value={view.lang} />
        <p>
          {t.formIntro}
          {view.consentDuration !== undefined && ` ${t.storedFor(view.consentDuration)}`}
        </p>
        <div class="actions">
          <button type="submit" name="action" value="accept">
            {t.acceptAll}
          </button>
          <button type="submit" name="action" value="refuse">
            {t.refuseAll}
          </button>
        </div>
        <fieldset>
          <legend>{t.perService}</legend>
          {view.necessary.map((s) => (
            <div class="switch">
              <input type="checkbox" id={`necessary-${s.id}`} checked disabled />
              <label for={`necessary-${s.id}`}>
                {s.provider} ({t.alwaysOn})
              </label>
            </div>
          ))}
          {view.choices.map((c: ChoiceView) => (
            <div class="switch">
              <input type="checkbox" id={`consent-${c.key}`} name={c.key} value="on" checked={c.granted} />
              <label for={`consent-${c.key}`}>
                {c.label} ({c.categoryName})
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" class="save" name="action" value="save">
          {t.save}
        </button>
      </form>
    </section>
  );
};

const CookieNames: FC<{ s: ServiceView; t: UiStrings }> = ({ s, t }) => (
  <ul class="plain">
    {s.cookies.map((k) => (
      <li>
        <code>{k.name}</code>
        {k.prefix && ` ${t.prefixNote}`}
        {k.httpOnly && ` ${t.httpOnlyNote}`}
      </li>
    ))}
  </ul>
);

/** One duration when all the service's cookies share it, else one line per cookie. */
const Durations: FC<{ s: ServiceView }> = ({ s }) => {
  const distinct = new Set(s.cookies.map((k) => k.duration));
  if (distinct.size <= 1) return <>{s.cookies[0]?.duration ?? ""}</>;
  return (
    <ul class="plain">
      {s.cookies.map((k) => (
        <li>
          <code>{k.name}</code>: {k.duration}
        </li>
      ))}
    </ul>
  );
};

const Purposes: FC<{ s: ServiceView }> = ({ s }) => {
  const overrides = s.cookies.filter((k) => k.purpose !== undefined);
  return (
    <>
      {s.purpose}
      {overrides.length > 0 && (
        <ul class="plain">
          {overrides.map((k) => (
            <li>
              <code>{k.name}</code>: {k.purpose}
            </li>
          ))}
        </ul>
      )}
    </>
  );
};

const CategoryTable: FC<{ cat: CategoryView; t: UiStrings }> = ({ cat, t }) => (
  <section aria-labelledby={`category-${cat.id}`}>
    <h3 id={`category-${cat.id}`}>{cat.name}</h3>
    <p>{cat.description}</p>
    {cat.services.length === 0 ? (
      <p>{t.noCookies}</p>
    ) : (
      // A narrow screen scrolls the table, not the page; the region is focusable so the
      // keyboard can scroll it too.
      <div class="table-scroll" role="region" aria-label={t.tableCaption(cat.name)} tabindex={0}>
        <p class="scroll-hint">{t.scrollHint}</p>
        <table>
          <caption>{t.tableCaption(cat.name)}</caption>
          <thead>
            <tr>
              <th scope="col">{t.colProvider}</th>
              <th scope="col">{t.colFunction}</th>
              <th scope="col">{t.colCookies}</th>
              <th scope="col">{t.colPurpose}</th>
              <th scope="col">{t.colDuration}</th>
            </tr>
          </thead>
          <tbody>
            {cat.services.flatMap(serviceRows).map((s) => (
              <tr>
                <th scope="row">{s.provider}</th>
                <td>{s.function}</td>
                <td>
                  <CookieNames s={s} t={t} />
                </td>
                <td>
                  <Purposes s={s} />
                </td>
                <td>
                  <Durations s={s} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
  </section>
);

const Page: FC<{ view: PolicyView; options: PageOptions }> = ({ view, options }) => {
  const t = UI[view.lang];
  return (
    <html lang={view.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{view.title}</title>
        <style nonce={options.nonce}>{raw(CSS)}</style>
      </head>
      <body>
        <main>
          <nav class="back" aria-label={t.home}>
            {options.backTo !== undefined && (
              <a href={options.backTo} rel="prev">
                ← {t.back}
              </a>
            )}
            <a href="/">{t.home}</a>
          </nav>
          <h1>{view.title}</h1>
          <Choices view={view} t={t} returnTo={options.returnTo} />
          {view.sections.map((sec) => (
            <section>
              {sec.level === 3 ? <h3>{sec.heading}</h3> : <h2>{sec.heading}</h2>}
              {sec.paragraphs.map((p) => (
                <p>{p}</p>
              ))}
            </section>
          ))}
          <section aria-labelledby="cookie-tables">
            <h2 id="cookie-tables">{view.tablesHeading}</h2>
            {view.categories.map((cat) => (
              <CategoryTable cat={cat} t={t} />
            ))}
          </section>
        </main>
      </body>
    </html>
  );
};

/** The complete HTML document for the /cookies page. */
export function renderPolicyPage(view: PolicyView, options: PageOptions): string {
  return "<!DOCTYPE html>" + (<Page view={view} options={options} />).toString();
}
