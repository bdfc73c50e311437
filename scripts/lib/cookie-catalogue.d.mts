// Types of cookie-catalogue.mjs, for the TypeScript tests.
export interface CatalogueEntry {
  id: string;
  platform: string;
  category: string;
  name: string;
  domain: string;
  description: string;
  retention: string;
  controller: string;
  privacyUrl: string;
  wildcard: boolean;
}
export interface CatalogueMatch extends CatalogueEntry {
  match: "exact" | "prefix";
  /** The strictest category of the platform's entries. */
  platformCategory: string;
}
export interface Catalogue {
  size: number;
  classify(name: string): CatalogueMatch | undefined;
}
export interface Classification {
  platform: string;
  category: string;
  platformCategory: string;
  retention: string;
  description: string;
  match: "exact" | "prefix";
  pattern: string;
}
export declare const CATALOGUE_CSV: string;
export declare const CATALOGUE_COLUMNS: string[];
export declare function parseCatalogueCsv(text: string): CatalogueEntry[];
export declare function createCatalogue(entries: readonly CatalogueEntry[]): Catalogue;
export declare function categoryRank(category: string): number;
export declare function loadCatalogue(file?: string): Catalogue;
export declare function classificationOf(catalogue: Catalogue, name: string): Classification | null;
