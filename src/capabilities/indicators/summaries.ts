import { eq, sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { areaSummaries, editions, indicators } from './schema.ts';

/**
 * Recomputes the higher-area summary measures of one edition, for its LADs and wards, from the LSOA
 * values, the edition's population denominators and the LSOA → area lookups. Definitions follow the
 * IoD2019 technical report (Table 3.2, Appendix N):
 *
 * - average rank: N + 1 − population-weighted mean LSOA rank (reversed, so higher = more deprived);
 * - average score: population-weighted mean LSOA score;
 * - proportion of LSOAs in the most deprived 10% nationally (national decile 1);
 * - extent: share of the population in the most deprived 30% of LSOAs, weighted 1 for percentiles 1–10
 *   and 0.95 down to 0.05 in steps of 0.9/19 for percentiles 11–30 (percentile = ⌈rank / N × 100⌉);
 * - local concentration: N + 1 − population-weighted mean rank of the area's most deprived LSOAs holding
 *   exactly 10% of its population (the last LSOA counted in part);
 * - most deprived 1%: LSOAs with rank ≤ ⌊N / 100⌋.
 * Each measure is then ranked among areas of the same vintage, 1 = most deprived.
 */
export async function refreshSummaries(tx: Tx, editionId: string): Promise<{ lads: number; wards: number }> {
  const [edition] = await tx.select().from(editions).where(eq(editions.id, editionId));
  if (!edition) throw new Error(`No edition ${editionId}`);
  const ranked = await tx.select({ id: indicators.id }).from(indicators).where(eq(indicators.editionId, editionId));
  await tx.delete(areaSummaries).where(sql`${areaSummaries.indicatorId} in (select id from ${indicators} where edition_id = ${editionId})`);
  for (const { id } of ranked) {
    for (const vintage of [edition.ladVintage, edition.wardVintage]) {
      await tx.execute(summarySql(id, edition.lsoaVintage, vintage, edition.populationIndicatorId, edition.lsoaCount));
    }
  }
  const count = async (vintage: string) =>
    (await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from ${areaSummaries} where indicator_id = ${`${editionId}.imd`} and vintage = ${vintage}`))[0]?.n ?? 0;
  return { lads: await count(edition.ladVintage), wards: await count(edition.wardVintage) };
}

function summarySql(indicatorId: string, lsoaVintage: string, areaVintage: string, populationId: string, n: number) {
  const onePercent = Math.floor(n / 100);
  const decileColumns = sql.join(
    Array.from({ length: 10 }, (_, i) => sql`count(*) filter (where decile = ${sql.raw(String(i + 1))})::int`),
    sql`, `,
  );
  return sql`
    with members as (
      select l.to_code as area, v.rank::float8 as rank, v.decile, v.value as score, pv.value as pop
      from area_lookups l
      join indicator_values v on v.indicator_id = ${indicatorId} and v.code = l.from_code
      left join indicator_values pv on pv.indicator_id = ${populationId} and pv.code = l.from_code
      where l.from_vintage = ${lsoaVintage} and l.to_vintage = ${areaVintage} and v.rank is not null
    ),
    ordered as (
      select *,
        sum(pop) over (partition by area order by rank rows between unbounded preceding and current row) as cumulative,
        sum(pop) over (partition by area) as total,
        ceil(rank * 100.0 / ${sql.raw(String(n))}) as percentile
      from members
    ),
    measures as (
      select area,
        count(*)::int as lsoa_count,
        sum(pop) as population,
        array[${decileColumns}] as decile_counts,
        count(*) filter (where rank <= ${sql.raw(String(onePercent))})::int as most1,
        (count(*) filter (where decile = 1))::float8 / count(*) as proportion,
        case when count(score) = count(*) and count(pop) = count(*) then sum(score * pop) / nullif(sum(pop), 0) end as average_score,
        case when count(pop) = count(*) then ${sql.raw(String(n + 1))} - sum(rank * pop) / nullif(sum(pop), 0) end as average_rank,
        case when count(pop) = count(*) then
          sum(pop * case when percentile <= 10 then 1.0 when percentile <= 30 then 0.95 - (percentile - 11) * (0.9 / 19) else 0 end) / nullif(sum(pop), 0)
        end as extent,
        case when count(pop) = count(*) then
          ${sql.raw(String(n + 1))} - sum(rank * greatest(0, least(pop, 0.1 * total - (cumulative - pop)))) / nullif(0.1 * max(total), 0)
        end as local_concentration
      from ordered
      group by area
    )
    insert into area_summaries (
      indicator_id, vintage, code, lsoa_count, population, decile_counts, most_deprived_1pct, proportion_bottom_decile,
      average_score, average_rank, extent, local_concentration,
      rank_proportion_bottom_decile, rank_average_score, rank_average_rank, rank_extent, rank_local_concentration)
    select ${indicatorId}, ${areaVintage}, area, lsoa_count, population, decile_counts, most1, proportion,
      average_score, average_rank, extent, local_concentration,
      rank() over (order by proportion desc),
      case when average_score is not null then rank() over (order by average_score desc nulls last) end,
      case when average_rank is not null then rank() over (order by average_rank desc nulls last) end,
      case when extent is not null then rank() over (order by extent desc nulls last) end,
      case when local_concentration is not null then rank() over (order by local_concentration desc nulls last) end
    from measures`;
}
