/** Default banner wording per language, used when the policy sets no `banner.text`. Pure data. */
import type { Lang } from "../policy/types";

export interface BannerStrings {
  /** The region's accessible name. */
  label: string;
  text: string;
  accept: string;
  refuse: string;
  /** The link to the /cookies page. */
  more: string;
}

export const BANNER_STRINGS: Record<Lang, BannerStrings> = {
  en: {
    label: "Cookie consent",
    text: "This site uses cookies for audience measurement only with your consent. Necessary cookies are always set.",
    accept: "Accept all",
    refuse: "Refuse all",
    more: "Choose and learn more",
  },
  fr: {
    label: "Consentement aux cookies",
    text: "Ce site n'utilise des cookies de mesure d'audience qu'avec votre accord. Les cookies nécessaires sont toujours déposés.",
    accept: "Tout accepter",
    refuse: "Tout refuser",
    more: "Personnaliser et en savoir plus",
  },
};
