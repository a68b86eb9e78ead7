CREATE TABLE "cost_avoided_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_id" uuid NOT NULL,
	"service" text NOT NULL,
	"people" integer NOT NULL,
	"change_per_person_per_year" double precision NOT NULL,
	"change_source" text NOT NULL,
	"unit_cost" double precision NOT NULL,
	"unit_cost_source" text NOT NULL,
	"years" double precision NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "cost_avoided_lines_numbers_check" CHECK (people >= 0 and unit_cost >= 0 and years > 0 and years <= 10)
);
--> statement-breakpoint
CREATE TABLE "impact_measurements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"measure_id" uuid NOT NULL,
	"measured_on" date NOT NULL,
	"value" double precision NOT NULL,
	"source" text NOT NULL,
	"note" text,
	"recorded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "impact_measures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"outcome_id" uuid NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"source_ref" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"unit" text NOT NULL,
	"baseline_value" double precision,
	"baseline_on" date,
	"target_value" double precision,
	"target_on" date,
	"direction" text NOT NULL,
	"cadence" text NOT NULL,
	"source_note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "impact_measures_source_check" CHECK (source in ('indicator', 'local-indicator', 'voice', 'support', 'manual')),
	CONSTRAINT "impact_measures_direction_check" CHECK (direction in ('increase', 'decrease', 'maintain')),
	CONSTRAINT "impact_measures_cadence_check" CHECK (cadence in ('monthly', 'quarterly', 'six-monthly', 'annually'))
);
--> statement-breakpoint
CREATE TABLE "impact_outcomes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partnership_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"agreed_with" text NOT NULL,
	"agreed_on" date NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "impact_stories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partnership_id" uuid NOT NULL,
	"told_on" date NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"quote" text,
	"consent" text NOT NULL,
	"consent_on" date,
	"published" boolean DEFAULT false NOT NULL,
	"sample" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "impact_stories_consent_check" CHECK (consent in ('given', 'not-asked', 'refused')),
	CONSTRAINT "impact_stories_published_check" CHECK (not published or (consent = 'given' and consent_on is not null))
);
--> statement-breakpoint
CREATE TABLE "impact_story_areas" (
	"story_id" uuid NOT NULL,
	"vintage" text NOT NULL,
	"code" text NOT NULL,
	CONSTRAINT "impact_story_areas_story_id_vintage_code_pk" PRIMARY KEY("story_id","vintage","code")
);
--> statement-breakpoint
CREATE TABLE "impact_story_outcomes" (
	"story_id" uuid NOT NULL,
	"outcome_id" uuid NOT NULL,
	CONSTRAINT "impact_story_outcomes_story_id_outcome_id_pk" PRIMARY KEY("story_id","outcome_id")
);
--> statement-breakpoint
CREATE TABLE "sroi_inputs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_id" uuid NOT NULL,
	"description" text NOT NULL,
	"amount" double precision NOT NULL,
	"in_kind" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sroi_inputs_amount_check" CHECK (amount >= 0)
);
--> statement-breakpoint
CREATE TABLE "sroi_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partnership_id" uuid NOT NULL,
	"title" text NOT NULL,
	"period" text NOT NULL,
	"discount_rate" double precision DEFAULT 3.5 NOT NULL,
	"discount_rate_source" text DEFAULT 'HM Treasury Green Book (2022), 3.5% a year' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sroi_models_rate_check" CHECK (discount_rate >= 0 and discount_rate <= 20)
);
--> statement-breakpoint
CREATE TABLE "sroi_outcomes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_id" uuid NOT NULL,
	"outcome_id" uuid,
	"description" text NOT NULL,
	"stakeholder" text NOT NULL,
	"quantity" double precision NOT NULL,
	"quantity_source" text NOT NULL,
	"proxy_id" uuid,
	"proxy_value" double precision NOT NULL,
	"proxy_source" text NOT NULL,
	"duration_years" integer NOT NULL,
	"deadweight" double precision NOT NULL,
	"deadweight_source" text NOT NULL,
	"displacement" double precision NOT NULL,
	"displacement_source" text NOT NULL,
	"attribution" double precision NOT NULL,
	"attribution_source" text NOT NULL,
	"drop_off" double precision NOT NULL,
	"drop_off_source" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sroi_outcomes_numbers_check" CHECK (quantity >= 0 and proxy_value >= 0 and duration_years between 1 and 50 and deadweight between 0 and 100 and displacement between 0 and 100 and attribution between 0 and 100 and drop_off between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "sroi_proxies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"value" double precision NOT NULL,
	"unit" text NOT NULL,
	"source" text NOT NULL,
	"source_url" text,
	"price_year" integer,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sroi_proxies_value_check" CHECK (value >= 0)
);
--> statement-breakpoint
ALTER TABLE "cost_avoided_lines" ADD CONSTRAINT "cost_avoided_lines_model_id_sroi_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."sroi_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_measurements" ADD CONSTRAINT "impact_measurements_measure_id_impact_measures_id_fk" FOREIGN KEY ("measure_id") REFERENCES "public"."impact_measures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_measurements" ADD CONSTRAINT "impact_measurements_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_measures" ADD CONSTRAINT "impact_measures_outcome_id_impact_outcomes_id_fk" FOREIGN KEY ("outcome_id") REFERENCES "public"."impact_outcomes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_outcomes" ADD CONSTRAINT "impact_outcomes_partnership_id_partnerships_id_fk" FOREIGN KEY ("partnership_id") REFERENCES "public"."partnerships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_outcomes" ADD CONSTRAINT "impact_outcomes_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_stories" ADD CONSTRAINT "impact_stories_partnership_id_partnerships_id_fk" FOREIGN KEY ("partnership_id") REFERENCES "public"."partnerships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_stories" ADD CONSTRAINT "impact_stories_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_story_areas" ADD CONSTRAINT "impact_story_areas_story_id_impact_stories_id_fk" FOREIGN KEY ("story_id") REFERENCES "public"."impact_stories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_story_outcomes" ADD CONSTRAINT "impact_story_outcomes_story_id_impact_stories_id_fk" FOREIGN KEY ("story_id") REFERENCES "public"."impact_stories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "impact_story_outcomes" ADD CONSTRAINT "impact_story_outcomes_outcome_id_impact_outcomes_id_fk" FOREIGN KEY ("outcome_id") REFERENCES "public"."impact_outcomes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_inputs" ADD CONSTRAINT "sroi_inputs_model_id_sroi_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."sroi_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_models" ADD CONSTRAINT "sroi_models_partnership_id_partnerships_id_fk" FOREIGN KEY ("partnership_id") REFERENCES "public"."partnerships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_models" ADD CONSTRAINT "sroi_models_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_outcomes" ADD CONSTRAINT "sroi_outcomes_model_id_sroi_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."sroi_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_outcomes" ADD CONSTRAINT "sroi_outcomes_outcome_id_impact_outcomes_id_fk" FOREIGN KEY ("outcome_id") REFERENCES "public"."impact_outcomes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_outcomes" ADD CONSTRAINT "sroi_outcomes_proxy_id_sroi_proxies_id_fk" FOREIGN KEY ("proxy_id") REFERENCES "public"."sroi_proxies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_proxies" ADD CONSTRAINT "sroi_proxies_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sroi_proxies" ADD CONSTRAINT "sroi_proxies_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cost_avoided_lines_model_idx" ON "cost_avoided_lines" USING btree ("model_id");--> statement-breakpoint
CREATE INDEX "impact_measurements_measure_idx" ON "impact_measurements" USING btree ("measure_id","measured_on");--> statement-breakpoint
CREATE INDEX "impact_measures_outcome_idx" ON "impact_measures" USING btree ("outcome_id");--> statement-breakpoint
CREATE INDEX "impact_outcomes_partnership_idx" ON "impact_outcomes" USING btree ("partnership_id","position");--> statement-breakpoint
CREATE INDEX "impact_stories_partnership_idx" ON "impact_stories" USING btree ("partnership_id","told_on");--> statement-breakpoint
CREATE INDEX "impact_story_areas_area_idx" ON "impact_story_areas" USING btree ("vintage","code");--> statement-breakpoint
CREATE INDEX "impact_story_outcomes_outcome_idx" ON "impact_story_outcomes" USING btree ("outcome_id");--> statement-breakpoint
CREATE INDEX "sroi_inputs_model_idx" ON "sroi_inputs" USING btree ("model_id");--> statement-breakpoint
CREATE INDEX "sroi_models_partnership_idx" ON "sroi_models" USING btree ("partnership_id");--> statement-breakpoint
CREATE INDEX "sroi_outcomes_model_idx" ON "sroi_outcomes" USING btree ("model_id");--> statement-breakpoint
CREATE INDEX "sroi_proxies_organisation_idx" ON "sroi_proxies" USING btree ("organisation_id");