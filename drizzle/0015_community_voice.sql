CREATE TABLE "population_age_bands" (
	"vintage" text NOT NULL,
	"code" text NOT NULL,
	"band" text NOT NULL,
	"people" double precision NOT NULL,
	"period" text NOT NULL,
	CONSTRAINT "population_age_bands_vintage_code_band_pk" PRIMARY KEY("vintage","code","band")
);
--> statement-breakpoint
CREATE TABLE "voice_answers" (
	"response_id" uuid NOT NULL,
	"question_id" uuid NOT NULL,
	"text" text,
	"choices" text[],
	"scale" integer,
	"comment" text,
	"publishable" boolean DEFAULT false NOT NULL,
	"quote" text,
	"marked_by" uuid,
	CONSTRAINT "voice_answers_response_id_question_id_pk" PRIMARY KEY("response_id","question_id")
);
--> statement-breakpoint
CREATE TABLE "voice_campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"title" text NOT NULL,
	"summary" text,
	"kind" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"lad25" text,
	"accepts_public" boolean DEFAULT true NOT NULL,
	"opens_on" date,
	"closes_on" date,
	"repeat_of_id" uuid,
	"published" boolean DEFAULT false NOT NULL,
	"published_at" timestamp with time zone,
	"sample" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "voice_campaigns_kind_check" CHECK (kind in ('listening', 'survey', 'event', 'place-standard')),
	CONSTRAINT "voice_campaigns_status_check" CHECK (status in ('draft', 'open', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "voice_contacts" (
	"response_id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"consent_statement" text NOT NULL,
	"consented_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voice_questions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"prompt" text NOT NULL,
	"hint" text,
	"options" text[],
	"scale_min" integer,
	"scale_max" integer,
	"scale_min_label" text,
	"scale_max_label" text,
	"required" boolean DEFAULT false NOT NULL,
	"place_standard_theme" text,
	"with_comment" boolean DEFAULT false NOT NULL,
	CONSTRAINT "voice_questions_kind_check" CHECK (kind in ('text', 'choice', 'multiple-choice', 'scale')),
	CONSTRAINT "voice_questions_scale_check" CHECK (kind <> 'scale' or (scale_min is not null and scale_max is not null and scale_min < scale_max)),
	CONSTRAINT "voice_questions_options_check" CHECK (kind not in ('choice', 'multiple-choice') or cardinality(options) >= 2)
);
--> statement-breakpoint
CREATE TABLE "voice_response_themes" (
	"response_id" uuid NOT NULL,
	"theme_id" uuid NOT NULL,
	"tagged_by" uuid,
	"tagged_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "voice_response_themes_response_id_theme_id_pk" PRIMARY KEY("response_id","theme_id")
);
--> statement-breakpoint
CREATE TABLE "voice_responses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"client_id" uuid,
	"captured_by" uuid,
	"answered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"location_source" text NOT NULL,
	"lsoa21" text,
	"ward25" text,
	"lad25" text,
	"neighbourhood_id" uuid,
	"demographics_consent" boolean DEFAULT false NOT NULL,
	"age_band" text,
	"gender" text,
	"ethnicity_group" text,
	"disability" text,
	"tenure" text,
	"import_id" uuid,
	CONSTRAINT "voice_responses_channel_check" CHECK (channel in ('public', 'volunteer', 'import')),
	CONSTRAINT "voice_responses_location_check" CHECK (location_source in ('postcode', 'neighbourhood', 'none')),
	CONSTRAINT "voice_responses_age_check" CHECK (age_band is null or age_band in ('under-16', '16-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-plus')),
	CONSTRAINT "voice_responses_gender_check" CHECK (gender is null or gender in ('woman', 'man', 'other')),
	CONSTRAINT "voice_responses_ethnicity_check" CHECK (ethnicity_group is null or ethnicity_group in ('asian', 'black', 'mixed', 'white', 'other')),
	CONSTRAINT "voice_responses_disability_check" CHECK (disability is null or disability in ('limited-a-lot', 'limited-a-little', 'not-limited')),
	CONSTRAINT "voice_responses_tenure_check" CHECK (tenure is null or tenure in ('owned', 'social-rented', 'private-rented', 'other')),
	CONSTRAINT "voice_responses_consent_check" CHECK (demographics_consent or (age_band is null and gender is null and ethnicity_group is null and disability is null and tenure is null))
);
--> statement-breakpoint
CREATE TABLE "voice_themes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "priority_evidence" ADD COLUMN "voice_campaign_id" uuid;--> statement-breakpoint
ALTER TABLE "priority_evidence" ADD COLUMN "voice_theme_id" uuid;--> statement-breakpoint
ALTER TABLE "voice_answers" ADD CONSTRAINT "voice_answers_response_id_voice_responses_id_fk" FOREIGN KEY ("response_id") REFERENCES "public"."voice_responses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_answers" ADD CONSTRAINT "voice_answers_question_id_voice_questions_id_fk" FOREIGN KEY ("question_id") REFERENCES "public"."voice_questions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_answers" ADD CONSTRAINT "voice_answers_marked_by_users_id_fk" FOREIGN KEY ("marked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_campaigns" ADD CONSTRAINT "voice_campaigns_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_campaigns" ADD CONSTRAINT "voice_campaigns_repeat_of_id_voice_campaigns_id_fk" FOREIGN KEY ("repeat_of_id") REFERENCES "public"."voice_campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_campaigns" ADD CONSTRAINT "voice_campaigns_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_contacts" ADD CONSTRAINT "voice_contacts_response_id_voice_responses_id_fk" FOREIGN KEY ("response_id") REFERENCES "public"."voice_responses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_questions" ADD CONSTRAINT "voice_questions_campaign_id_voice_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."voice_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_response_themes" ADD CONSTRAINT "voice_response_themes_response_id_voice_responses_id_fk" FOREIGN KEY ("response_id") REFERENCES "public"."voice_responses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_response_themes" ADD CONSTRAINT "voice_response_themes_theme_id_voice_themes_id_fk" FOREIGN KEY ("theme_id") REFERENCES "public"."voice_themes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_response_themes" ADD CONSTRAINT "voice_response_themes_tagged_by_users_id_fk" FOREIGN KEY ("tagged_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_responses" ADD CONSTRAINT "voice_responses_campaign_id_voice_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."voice_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_responses" ADD CONSTRAINT "voice_responses_captured_by_users_id_fk" FOREIGN KEY ("captured_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_responses" ADD CONSTRAINT "voice_responses_neighbourhood_id_neighbourhoods_id_fk" FOREIGN KEY ("neighbourhood_id") REFERENCES "public"."neighbourhoods"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_themes" ADD CONSTRAINT "voice_themes_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "voice_answers_question_idx" ON "voice_answers" USING btree ("question_id");--> statement-breakpoint
CREATE INDEX "voice_campaigns_organisation_idx" ON "voice_campaigns" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "voice_questions_position_idx" ON "voice_questions" USING btree ("campaign_id","position");--> statement-breakpoint
CREATE INDEX "voice_response_themes_theme_idx" ON "voice_response_themes" USING btree ("theme_id");--> statement-breakpoint
CREATE INDEX "voice_responses_campaign_idx" ON "voice_responses" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "voice_responses_ward_idx" ON "voice_responses" USING btree ("ward25");--> statement-breakpoint
CREATE INDEX "voice_responses_lsoa_idx" ON "voice_responses" USING btree ("lsoa21");--> statement-breakpoint
CREATE UNIQUE INDEX "voice_responses_client_idx" ON "voice_responses" USING btree ("client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "voice_themes_name_idx" ON "voice_themes" USING btree ("organisation_id",lower("name"));--> statement-breakpoint
ALTER TABLE "priority_evidence" ADD CONSTRAINT "priority_evidence_voice_campaign_id_voice_campaigns_id_fk" FOREIGN KEY ("voice_campaign_id") REFERENCES "public"."voice_campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "priority_evidence" ADD CONSTRAINT "priority_evidence_voice_theme_id_voice_themes_id_fk" FOREIGN KEY ("voice_theme_id") REFERENCES "public"."voice_themes"("id") ON DELETE set null ON UPDATE no action;