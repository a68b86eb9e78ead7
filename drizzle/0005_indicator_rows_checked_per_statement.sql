ALTER TABLE "area_summaries" DROP CONSTRAINT "area_summaries_indicator_id_indicators_id_fk";
--> statement-breakpoint
ALTER TABLE "indicator_values" DROP CONSTRAINT "indicator_values_indicator_id_indicators_id_fk";
--> statement-breakpoint
-- The same rule as the foreign keys just dropped, checked once per statement over all its rows: a national
-- edition inserts 263,000 values in a handful of statements, and a per-row key lookup doubled its load time.
CREATE FUNCTION indicator_rows_check_indicator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM indicators i WHERE i.id = n.indicator_id)) THEN
    RAISE foreign_key_violation USING MESSAGE = format('%s refers to an indicator that does not exist', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER indicator_values_indicator_on_insert AFTER INSERT ON indicator_values
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION indicator_rows_check_indicator();
--> statement-breakpoint
CREATE TRIGGER indicator_values_indicator_on_update AFTER UPDATE ON indicator_values
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION indicator_rows_check_indicator();
--> statement-breakpoint
CREATE TRIGGER area_summaries_indicator_on_insert AFTER INSERT ON area_summaries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION indicator_rows_check_indicator();
--> statement-breakpoint
CREATE TRIGGER area_summaries_indicator_on_update AFTER UPDATE ON area_summaries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION indicator_rows_check_indicator();
--> statement-breakpoint
CREATE FUNCTION indicators_cascade_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF EXISTS (SELECT 1 FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM indicators i WHERE i.id = o.id)) THEN
      RAISE foreign_key_violation USING MESSAGE = 'an indicator''s id cannot change once it has values';
    END IF;
    RETURN NULL;
  END IF;
  DELETE FROM indicator_values v USING old_rows o WHERE v.indicator_id = o.id;
  DELETE FROM area_summaries s USING old_rows o WHERE s.indicator_id = o.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER indicators_cascade_on_delete AFTER DELETE ON indicators
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION indicators_cascade_rows();
--> statement-breakpoint
CREATE TRIGGER indicators_guard_on_update AFTER UPDATE ON indicators
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION indicators_cascade_rows();
