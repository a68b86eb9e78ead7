CREATE TABLE "allocation_lines" (
	"scenario_id" uuid NOT NULL,
	"area_code" text NOT NULL,
	"area_name" text NOT NULL,
	"need" double precision,
	"population" double precision,
	"weight" double precision NOT NULL,
	"amount_pence" bigint NOT NULL,
	"equal_pence" bigint NOT NULL,
	"bound" text,
	CONSTRAINT "allocation_lines_scenario_id_area_code_pk" PRIMARY KEY("scenario_id","area_code")
);
--> statement-breakpoint
CREATE TABLE "allocation_scenarios" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"budget_pence" bigint NOT NULL,
	"area_kind" text NOT NULL,
	"district_code" text,
	"measure_kind" text NOT NULL,
	"measure_id" text NOT NULL,
	"times_population" boolean DEFAULT false NOT NULL,
	"floor_pence" bigint,
	"cap_pence" bigint,
	"sample" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allocation_scenarios_budget_check" CHECK (budget_pence >= 0)
);
--> statement-breakpoint
CREATE TABLE "ballots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"round_id" uuid NOT NULL,
	"choices" integer[] NOT NULL,
	"channel" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fund_areas" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"area_vintage" text,
	"area_code" text,
	"neighbourhood_id" uuid,
	CONSTRAINT "fund_areas_one_check" CHECK ((area_code is not null and area_vintage is not null and neighbourhood_id is null) or (area_code is null and area_vintage is null and neighbourhood_id is not null))
);
--> statement-breakpoint
CREATE TABLE "fund_rounds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"budget_pence" bigint NOT NULL,
	"phase" text DEFAULT 'draft' NOT NULL,
	"voting_method" text,
	"project_limit" integer,
	"min_amount_pence" bigint,
	"max_amount_pence" bigint,
	"proposals_close_on" date,
	"voting_opens_on" date,
	"voting_closes_on" date,
	"email_voting" boolean DEFAULT false NOT NULL,
	"counted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fund_rounds_phase_check" CHECK (phase in ('draft', 'proposals', 'review', 'voting', 'results', 'delivery', 'closed')),
	CONSTRAINT "fund_rounds_method_check" CHECK (voting_method is null or voting_method in ('approval-budget', 'approval-limit', 'ranked')),
	CONSTRAINT "fund_rounds_budget_check" CHECK (budget_pence >= 0),
	CONSTRAINT "fund_rounds_amounts_check" CHECK ((min_amount_pence is null or min_amount_pence >= 0) and (max_amount_pence is null or max_amount_pence >= coalesce(min_amount_pence, 0)))
);
--> statement-breakpoint
CREATE TABLE "funds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"budget_pence" bigint NOT NULL,
	"grant_id_prefix" text,
	"sample" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "funds_budget_check" CHECK (budget_pence >= 0)
);
--> statement-breakpoint
CREATE TABLE "grant_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"grant_id" uuid NOT NULL,
	"reported_on" date NOT NULL,
	"progress" text NOT NULL,
	"spend_pence" bigint NOT NULL,
	"reported_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grant_reports_spend_check" CHECK (spend_pence >= 0)
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"fund_id" uuid,
	"round_id" uuid,
	"proposal_id" uuid,
	"identifier" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"recipient_name" text NOT NULL,
	"recipient_org_id" text NOT NULL,
	"recipient_is_individual" boolean DEFAULT false NOT NULL,
	"amount_pence" bigint NOT NULL,
	"award_date" date NOT NULL,
	"planned_start" date,
	"planned_end" date,
	"beneficiary_lsoa21" text,
	"beneficiary_ward25" text,
	"status" text DEFAULT 'awarded' NOT NULL,
	"sample" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grants_status_check" CHECK (status in ('awarded', 'in-delivery', 'completed', 'withdrawn')),
	CONSTRAINT "grants_amount_check" CHECK (amount_pence > 0)
);
--> statement-breakpoint
CREATE TABLE "proposal_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"proposal_id" uuid NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proposals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"round_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"description" text,
	"amount_pence" bigint NOT NULL,
	"applicant_kind" text NOT NULL,
	"group_name" text,
	"registered_number" text,
	"contact_name" text,
	"contact_email" text,
	"neighbourhood_id" uuid,
	"ward25" text,
	"lsoa21" text,
	"status" text DEFAULT 'submitted' NOT NULL,
	"submitted_by" uuid,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "proposals_status_check" CHECK (status in ('submitted', 'shortlisted', 'rejected', 'withdrawn', 'funded', 'not-funded')),
	CONSTRAINT "proposals_applicant_check" CHECK (applicant_kind in ('resident', 'community-group', 'registered-charity', 'registered-company', 'public-body')),
	CONSTRAINT "proposals_amount_check" CHECK (amount_pence > 0)
);
--> statement-breakpoint
CREATE TABLE "voting_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"round_id" uuid NOT NULL,
	"batch" integer NOT NULL,
	"used" boolean DEFAULT false NOT NULL,
	"withdrawn" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voting_emails" (
	"round_id" uuid NOT NULL,
	"email_hash" text NOT NULL,
	"token_hash" text,
	"token_expires_at" timestamp with time zone,
	"used" boolean DEFAULT false NOT NULL,
	CONSTRAINT "voting_emails_round_id_email_hash_pk" PRIMARY KEY("round_id","email_hash")
);
--> statement-breakpoint
ALTER TABLE "allocation_lines" ADD CONSTRAINT "allocation_lines_scenario_id_allocation_scenarios_id_fk" FOREIGN KEY ("scenario_id") REFERENCES "public"."allocation_scenarios"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_scenarios" ADD CONSTRAINT "allocation_scenarios_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_scenarios" ADD CONSTRAINT "allocation_scenarios_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_round_id_fund_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fund_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_areas" ADD CONSTRAINT "fund_areas_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_areas" ADD CONSTRAINT "fund_areas_neighbourhood_id_neighbourhoods_id_fk" FOREIGN KEY ("neighbourhood_id") REFERENCES "public"."neighbourhoods"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_rounds" ADD CONSTRAINT "fund_rounds_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "funds" ADD CONSTRAINT "funds_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "funds" ADD CONSTRAINT "funds_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_reports" ADD CONSTRAINT "grant_reports_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_reports" ADD CONSTRAINT "grant_reports_reported_by_users_id_fk" FOREIGN KEY ("reported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_round_id_fund_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fund_rounds"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_proposal_id_proposals_id_fk" FOREIGN KEY ("proposal_id") REFERENCES "public"."proposals"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposal_decisions" ADD CONSTRAINT "proposal_decisions_proposal_id_proposals_id_fk" FOREIGN KEY ("proposal_id") REFERENCES "public"."proposals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposal_decisions" ADD CONSTRAINT "proposal_decisions_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_round_id_fund_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fund_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_neighbourhood_id_neighbourhoods_id_fk" FOREIGN KEY ("neighbourhood_id") REFERENCES "public"."neighbourhoods"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_submitted_by_users_id_fk" FOREIGN KEY ("submitted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voting_codes" ADD CONSTRAINT "voting_codes_round_id_fund_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fund_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voting_emails" ADD CONSTRAINT "voting_emails_round_id_fund_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fund_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allocation_scenarios_organisation_idx" ON "allocation_scenarios" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "ballots_round_idx" ON "ballots" USING btree ("round_id");--> statement-breakpoint
CREATE INDEX "fund_areas_fund_idx" ON "fund_areas" USING btree ("fund_id");--> statement-breakpoint
CREATE INDEX "fund_rounds_fund_idx" ON "fund_rounds" USING btree ("fund_id");--> statement-breakpoint
CREATE INDEX "funds_organisation_idx" ON "funds" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "grant_reports_grant_idx" ON "grant_reports" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "grants_organisation_idx" ON "grants" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_identifier_idx" ON "grants" USING btree ("identifier");--> statement-breakpoint
CREATE INDEX "proposal_decisions_proposal_idx" ON "proposal_decisions" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "proposals_round_idx" ON "proposals" USING btree ("round_id");--> statement-breakpoint
CREATE UNIQUE INDEX "proposals_number_idx" ON "proposals" USING btree ("round_id","number");--> statement-breakpoint
CREATE INDEX "voting_codes_round_idx" ON "voting_codes" USING btree ("round_id","batch");