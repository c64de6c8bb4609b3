/**
 * Word lists for made-up companies. The names are invented so a simulated fill can never be mistaken
 * for a real one in a log, while still reading like a US listing (name, sector word, legal suffix).
 */

export interface IndustryProfile {
  readonly industry: string;
  readonly nameWords: readonly string[];
  /** Scales the symbol's intraday volatility (biotech jumps, utilities crawl). */
  readonly volatilityFactor: number;
}

export const INDUSTRIES: readonly IndustryProfile[] = [
  { industry: 'Biotechnology', nameWords: ['Therapeutics', 'Biosciences', 'Genomics', 'Pharma'], volatilityFactor: 1.6 },
  { industry: 'Semiconductors', nameWords: ['Semiconductor', 'Microsystems', 'Photonics'], volatilityFactor: 1.3 },
  { industry: 'Software', nameWords: ['Software', 'Systems', 'Cloud', 'Data'], volatilityFactor: 1.2 },
  { industry: 'Internet', nameWords: ['Networks', 'Digital', 'Interactive'], volatilityFactor: 1.3 },
  { industry: 'Banks', nameWords: ['Bancorp', 'Financial', 'Bankshares'], volatilityFactor: 0.8 },
  { industry: 'Insurance', nameWords: ['Insurance', 'Assurance', 'Underwriters'], volatilityFactor: 0.7 },
  { industry: 'Oil & Gas', nameWords: ['Energy', 'Petroleum', 'Resources'], volatilityFactor: 1.1 },
  { industry: 'Utilities', nameWords: ['Power', 'Utilities', 'Electric'], volatilityFactor: 0.6 },
  { industry: 'Retail', nameWords: ['Stores', 'Brands', 'Outfitters'], volatilityFactor: 1.0 },
  { industry: 'Industrial Machinery', nameWords: ['Industries', 'Manufacturing', 'Machinery'], volatilityFactor: 0.9 },
  { industry: 'Aerospace & Defense', nameWords: ['Aerospace', 'Defense', 'Dynamics'], volatilityFactor: 0.9 },
  { industry: 'Electric Vehicles', nameWords: ['Motors', 'Mobility', 'Automotive'], volatilityFactor: 1.7 },
  { industry: 'Food & Beverage', nameWords: ['Foods', 'Beverages', 'Provisions'], volatilityFactor: 0.6 },
  { industry: 'Healthcare Services', nameWords: ['Health', 'Medical', 'Care'], volatilityFactor: 0.9 },
  { industry: 'Metals & Mining', nameWords: ['Mining', 'Metals', 'Minerals'], volatilityFactor: 1.3 },
  { industry: 'Real Estate', nameWords: ['Realty', 'Properties', 'Land Trust'], volatilityFactor: 0.7 },
  { industry: 'Transportation', nameWords: ['Logistics', 'Freight', 'Airlines'], volatilityFactor: 1.0 },
  { industry: 'Media & Entertainment', nameWords: ['Media', 'Entertainment', 'Studios'], volatilityFactor: 1.0 },
];

export const NAME_STEMS: readonly string[] = [
  'Acme', 'Blaze', 'Cobalt', 'Delmar', 'Ember', 'Falcon', 'Granite', 'Harbor', 'Ionic', 'Juniper', 'Kestrel',
  'Lumen', 'Meridian', 'Nova', 'Orion', 'Pinnacle', 'Quarry', 'Redwood', 'Summit', 'Titan', 'Umbra', 'Vertex',
  'Willow', 'Xenith', 'Yarrow', 'Zephyr', 'Apex', 'Boltz', 'Crestline', 'Dynamo', 'Evergreen', 'Frontier',
  'Glacier', 'Helix', 'Iris', 'Jasper', 'Keystone', 'Lattice', 'Mosaic', 'Nimbus', 'Onyx', 'Polaris', 'Quantix',
  'Radiant', 'Sierra', 'Tundra', 'Unison', 'Velocity', 'Wavecrest', 'Zenith', 'Arbor', 'Beacon', 'Cypress',
  'Driftwood', 'Emberly', 'Fathom', 'Gryphon', 'Halcyon', 'Ironclad', 'Kinetic', 'Larkspur', 'Magnolia',
  'Northstar', 'Oakmont', 'Paragon', 'Quill', 'Riverton', 'Sable', 'Tamarack', 'Vantage', 'Whitcomb', 'Yukon',
];

export const LEGAL_SUFFIXES: readonly string[] = ['Inc.', 'Corp.', 'Holdings Inc.', 'Group Inc.', 'Ltd.', 'Co.'];
