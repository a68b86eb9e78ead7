import { partnershipStages, type PartnershipStage } from './schema.ts';

/**
 * What a partnership should have done before it moves on from each stage. The items live in code, not the
 * database, so every partnership works to the same list; a ticked item is stored by its id, which is
 * prefixed by its stage so that ids stay unique across stages.
 */
export type ChecklistItem = { id: string; text: string };

export const stageChecklists: Record<PartnershipStage, readonly ChecklistItem[]> = {
  catalyse: [
    { id: 'catalyse.assets-needs-mapped', text: 'The area’s assets and needs are mapped' },
    { id: 'catalyse.coordinator-named', text: 'A coordinator is named' },
    { id: 'catalyse.meeting-place-found', text: 'A place to meet is found' },
    { id: 'catalyse.metrics-agreed', text: 'The measures of success are agreed with residents' },
  ],
  nurture: [
    { id: 'nurture.core-team-meeting', text: 'The core team meets regularly, with every organisation represented' },
    { id: 'nurture.plan-agreed', text: 'A partnership plan with priorities and actions is agreed' },
    { id: 'nurture.residents-represented', text: 'Residents are represented in the partnership' },
    { id: 'nurture.progress-reported', text: 'Progress has been reported to the board at least once' },
  ],
  sustain: [
    { id: 'sustain.resources-committed', text: 'Each organisation has committed staff time or money beyond the first year' },
    { id: 'sustain.plan-reviewed', text: 'The plan has been reviewed with residents in the last year' },
    { id: 'sustain.leadership-shared', text: 'Leadership is shared, so the partnership does not depend on one person' },
    { id: 'sustain.progress-published', text: 'Progress is published for residents' },
  ],
};

export const stageText: Record<PartnershipStage, string> = { catalyse: 'Catalyse', nurture: 'Nurture', sustain: 'Sustain' };

export const stageHint: Record<PartnershipStage, string> = {
  catalyse: 'Getting started: bringing people together around the place',
  nurture: 'Working together: agreeing a plan and delivering it',
  sustain: 'Lasting: the partnership is part of how organisations work in the place',
};

export function checklistItem(id: string): { stage: PartnershipStage; item: ChecklistItem } | null {
  for (const stage of partnershipStages) {
    const item = stageChecklists[stage].find((i) => i.id === id);
    if (item) return { stage, item };
  }
  return null;
}

export const stageIndex = (stage: PartnershipStage) => partnershipStages.indexOf(stage);
