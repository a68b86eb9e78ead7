import type { Capability } from '../platform/capability.ts';
import { about } from './about/index.ts';
import { accounts } from './accounts/index.ts';
import { administration } from './administration/index.ts';
import { home } from './home/index.ts';
import { indicators } from './indicators/index.ts';
import { communityAssets } from './community-assets/index.ts';
import { communityVoice } from './community-voice/index.ts';
import { communityWealth } from './community-wealth/index.ts';
import { funds } from './funds/index.ts';
import { impact } from './impact/index.ts';
import { compositeIndex } from './composite-index/index.ts';
import { localData } from './local-data/index.ts';
import { maps } from './maps/index.ts';
import { need } from './need/index.ts';
import { neighbourhoods } from './neighbourhoods/index.ts';
import { organisations } from './organisations/index.ts';
import { partnershipsCapability } from './partnerships/index.ts';
import { supportingPeople } from './supporting-people/index.ts';

/** Every capability Patchwork has. Adding one is: make its folder, export a Capability, list it here. */
export const capabilities: Capability[] = [home, about, need, neighbourhoods, communityAssets, communityVoice, partnershipsCapability, funds, supportingPeople, impact, communityWealth, maps, localData, compositeIndex, accounts, organisations, indicators, administration];
