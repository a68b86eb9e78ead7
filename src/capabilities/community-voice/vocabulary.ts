/**
 * The fixed words of community voice: kinds of campaign and question, and the demographic bands a respondent
 * may choose to give. The bands follow the 2021 Census's high-level categories so they can be set beside
 * population figures; age bands are the ones Patchwork holds population estimates for (see
 * indicators/population-ages.ts).
 */

export const campaignKinds = ['listening', 'survey', 'event', 'place-standard'] as const;
export type CampaignKind = (typeof campaignKinds)[number];
export const campaignKindLabels: Record<CampaignKind, string> = {
  listening: 'Listening conversations',
  survey: 'Survey',
  event: 'Event',
  'place-standard': 'Place Standard assessment',
};

export const campaignStatuses = ['draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const questionKinds = ['text', 'choice', 'multiple-choice', 'scale'] as const;
export type QuestionKind = (typeof questionKinds)[number];
export const questionKindLabels: Record<QuestionKind, string> = {
  text: 'Free text',
  choice: 'Choose one',
  'multiple-choice': 'Choose any',
  scale: 'A scale (for example 1 to 5)',
};

/** How a response reached Patchwork. */
export const responseChannels = ['public', 'volunteer', 'import'] as const;
export type ResponseChannel = (typeof responseChannels)[number];
export const responseChannelLabels: Record<ResponseChannel, string> = { public: 'Online (resident)', volunteer: 'Volunteer or staff', import: 'Imported' };

export const locationSources = ['postcode', 'neighbourhood', 'none'] as const;
export type LocationSource = (typeof locationSources)[number];

export const ageBands = ['under-16', '16-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-plus'] as const;
export type AgeBand = (typeof ageBands)[number];
export const ageBandLabels: Record<AgeBand, string> = {
  'under-16': 'Under 16',
  '16-24': '16 to 24',
  '25-34': '25 to 34',
  '35-44': '35 to 44',
  '45-54': '45 to 54',
  '55-64': '55 to 64',
  '65-74': '65 to 74',
  '75-plus': '75 or over',
};

export const genders = ['woman', 'man', 'other'] as const;
export const genderLabels: Record<(typeof genders)[number], string> = { woman: 'Woman', man: 'Man', other: 'In another way' };

/** The five high-level ethnic groups of the 2021 Census (England and Wales). */
export const ethnicityGroups = ['asian', 'black', 'mixed', 'white', 'other'] as const;
export const ethnicityGroupLabels: Record<(typeof ethnicityGroups)[number], string> = {
  asian: 'Asian, Asian British or Asian Welsh',
  black: 'Black, Black British, Black Welsh, Caribbean or African',
  mixed: 'Mixed or multiple ethnic groups',
  white: 'White',
  other: 'Other ethnic group',
};

/** The 2021 Census question: are your day-to-day activities limited by a health problem or disability? */
export const disabilities = ['limited-a-lot', 'limited-a-little', 'not-limited'] as const;
export const disabilityLabels: Record<(typeof disabilities)[number], string> = {
  'limited-a-lot': 'Yes, limited a lot',
  'limited-a-little': 'Yes, limited a little',
  'not-limited': 'No',
};

export const tenures = ['owned', 'social-rented', 'private-rented', 'other'] as const;
export const tenureLabels: Record<(typeof tenures)[number], string> = {
  owned: 'Owned (outright, with a mortgage, or shared ownership)',
  'social-rented': 'Rented from the council or a housing association',
  'private-rented': 'Rented from a private landlord or letting agency',
  other: 'Living rent free, or another way',
};

/** The demographic questions, in the order asked, with their labels: one list for forms, imports and tables. */
export const demographics = [
  { key: 'ageBand', field: 'age-band', column: 'age_band', label: 'Age', values: ageBands, labels: ageBandLabels },
  { key: 'gender', field: 'gender', column: 'gender', label: 'Gender', values: genders, labels: genderLabels },
  { key: 'ethnicityGroup', field: 'ethnicity-group', column: 'ethnicity_group', label: 'Ethnic group', values: ethnicityGroups, labels: ethnicityGroupLabels },
  { key: 'disability', field: 'disability', column: 'disability', label: 'Day-to-day activities limited by a health problem or disability', values: disabilities, labels: disabilityLabels },
  { key: 'tenure', field: 'tenure', column: 'tenure', label: 'Home', values: tenures, labels: tenureLabels },
] as const;
export type DemographicKey = (typeof demographics)[number]['key'];

/**
 * The Place Standard tool's 14 themes (Scottish Government, Public Health Scotland and Architecture and Design
 * Scotland), in the tool's order, each with its question. Each is rated 1–7, where 1 means there is a lot of
 * room for improvement and 7 very little.
 */
export const placeStandardThemes = [
  { key: 'moving-around', label: 'Moving around', question: 'Can I easily walk and cycle around using good-quality routes?' },
  { key: 'public-transport', label: 'Public transport', question: 'Does public transport meet my needs?' },
  { key: 'traffic-and-parking', label: 'Traffic and parking', question: 'Do traffic and parking arrangements allow people to move around safely and meet the community’s needs?' },
  { key: 'streets-and-spaces', label: 'Streets and spaces', question: 'Do buildings, streets and public spaces create an attractive place that is easy to get around?' },
  { key: 'natural-space', label: 'Natural space', question: 'Can I regularly experience good-quality natural space?' },
  { key: 'play-and-recreation', label: 'Play and recreation', question: 'Can I access a range of spaces with opportunities for play and recreation?' },
  { key: 'facilities-and-services', label: 'Facilities and services', question: 'Do facilities and services in the place meet my needs?' },
  { key: 'work-and-local-economy', label: 'Work and local economy', question: 'Is there an active local economy and the opportunity to access good-quality work?' },
  { key: 'housing-and-community', label: 'Housing and community', question: 'Do the homes in my area support the needs of the community?' },
  { key: 'social-contact', label: 'Social contact', question: 'Is there a range of spaces and opportunities to meet people?' },
  { key: 'identity-and-belonging', label: 'Identity and belonging', question: 'Does this place have a positive identity and do I feel I belong?' },
  { key: 'feeling-safe', label: 'Feeling safe', question: 'Do I feel safe here?' },
  { key: 'care-and-maintenance', label: 'Care and maintenance', question: 'Are buildings and spaces well cared for?' },
  { key: 'influence-and-sense-of-control', label: 'Influence and sense of control', question: 'Do I feel able to take part in decisions and help change things for the better?' },
] as const;
export type PlaceStandardTheme = (typeof placeStandardThemes)[number]['key'];
export const placeStandardScale = { min: 1, max: 7, minLabel: 'A lot of room for improvement', maxLabel: 'Very little room for improvement' } as const;
