CREATE TABLE "support_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"service_id" uuid,
	"service_name" text NOT NULL,
	"connected_on" date NOT NULL,
	"outcome" text DEFAULT 'suggested' NOT NULL,
	"outcome_on" date,
	"note_enc" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_connections_outcome_check" CHECK (outcome in ('suggested', 'attended', 'continuing', 'didnt-suit'))
);
--> statement-breakpoint
CREATE TABLE "support_conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"held_on" date NOT NULL,
	"note_enc" text NOT NULL,
	"recorded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_goal_progress" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"goal_id" uuid NOT NULL,
	"recorded_on" date NOT NULL,
	"score" smallint NOT NULL,
	"note_enc" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_goal_progress_score_check" CHECK (score between 1 and 10)
);
--> statement-breakpoint
CREATE TABLE "support_goals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"set_on" date NOT NULL,
	"goal_enc" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"status_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_goals_status_check" CHECK (status in ('active', 'achieved', 'changed', 'stopped'))
);
--> statement-breakpoint
CREATE TABLE "support_introductions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"introduced_on" date NOT NULL,
	"route" text NOT NULL,
	"introducer_enc" text,
	"reason_enc" text,
	"recorded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_introductions_route_check" CHECK (route in ('self', 'family-neighbour', 'councillor', 'gp-pcn', 'social-care', 'housing', 'vcse', 'other'))
);
--> statement-breakpoint
CREATE TABLE "support_next_steps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"conversation_id" uuid,
	"step_enc" text NOT NULL,
	"due_on" date,
	"done_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_people" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"team_id" uuid NOT NULL,
	"coordinator_user_id" uuid,
	"wrapped_key" text,
	"name_enc" text,
	"contact_enc" text,
	"postcode_enc" text,
	"date_of_birth_enc" text,
	"demographics_enc" text,
	"age_band" text,
	"lsoa21" text,
	"ward25" text,
	"lad25" text,
	"consent_status" text NOT NULL,
	"consent_on" date NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_on" date,
	"closure_reason" text,
	"retention_flagged_at" timestamp with time zone,
	"anonymised_at" timestamp with time zone,
	"sample" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_people_consent_check" CHECK (consent_status in ('given', 'withdrawn')),
	CONSTRAINT "support_people_status_check" CHECK (status in ('open', 'closed')),
	CONSTRAINT "support_people_closure_check" CHECK ((status = 'closed') = (closed_on is not null and closure_reason is not null)),
	CONSTRAINT "support_people_erased_check" CHECK (anonymised_at is null or (wrapped_key is null and name_enc is null and contact_enc is null and postcode_enc is null and date_of_birth_enc is null and demographics_enc is null))
);
--> statement-breakpoint
CREATE TABLE "support_shares" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"shared_with_user_id" uuid NOT NULL,
	"shared_with_organisation_id" uuid NOT NULL,
	"shared_by" uuid,
	"purpose" text NOT NULL,
	"consent_on" date NOT NULL,
	"consent_how" text NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_shares_period_check" CHECK (ends_on >= starts_on)
);
--> statement-breakpoint
CREATE TABLE "support_team_members" (
	"team_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_team_members_team_id_user_id_pk" PRIMARY KEY("team_id","user_id"),
	CONSTRAINT "support_team_members_role_check" CHECK (role in ('coordinator', 'lead'))
);
--> statement-breakpoint
CREATE TABLE "support_teams" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_wellbeing" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"measured_on" date NOT NULL,
	"occasion" text NOT NULL,
	"life_satisfaction" smallint,
	"worthwhile" smallint,
	"happiness" smallint,
	"anxiety" smallint,
	"swemwbs_items" text,
	"swemwbs_raw" smallint,
	"swemwbs_metric" numeric(5, 2),
	"recorded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_wellbeing_occasion_check" CHECK (occasion in ('start', 'follow-up', 'end')),
	CONSTRAINT "support_wellbeing_ons4_check" CHECK (coalesce(life_satisfaction, 0) between 0 and 10 and coalesce(worthwhile, 0) between 0 and 10 and coalesce(happiness, 0) between 0 and 10 and coalesce(anxiety, 0) between 0 and 10),
	CONSTRAINT "support_wellbeing_swemwbs_check" CHECK (swemwbs_raw is null or swemwbs_raw between 7 and 35),
	CONSTRAINT "support_wellbeing_something_check" CHECK (num_nonnulls(life_satisfaction, worthwhile, happiness, anxiety, swemwbs_raw) > 0)
);
--> statement-breakpoint
ALTER TABLE "support_connections" ADD CONSTRAINT "support_connections_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_connections" ADD CONSTRAINT "support_connections_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_conversations" ADD CONSTRAINT "support_conversations_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_conversations" ADD CONSTRAINT "support_conversations_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_goal_progress" ADD CONSTRAINT "support_goal_progress_goal_id_support_goals_id_fk" FOREIGN KEY ("goal_id") REFERENCES "public"."support_goals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_goals" ADD CONSTRAINT "support_goals_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_introductions" ADD CONSTRAINT "support_introductions_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_introductions" ADD CONSTRAINT "support_introductions_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_next_steps" ADD CONSTRAINT "support_next_steps_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_next_steps" ADD CONSTRAINT "support_next_steps_conversation_id_support_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."support_conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_people" ADD CONSTRAINT "support_people_team_id_support_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."support_teams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_people" ADD CONSTRAINT "support_people_coordinator_user_id_users_id_fk" FOREIGN KEY ("coordinator_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_shares" ADD CONSTRAINT "support_shares_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_shares" ADD CONSTRAINT "support_shares_shared_with_user_id_users_id_fk" FOREIGN KEY ("shared_with_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_shares" ADD CONSTRAINT "support_shares_shared_with_organisation_id_organisations_id_fk" FOREIGN KEY ("shared_with_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_shares" ADD CONSTRAINT "support_shares_shared_by_users_id_fk" FOREIGN KEY ("shared_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_shares" ADD CONSTRAINT "support_shares_revoked_by_users_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_team_members" ADD CONSTRAINT "support_team_members_team_id_support_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."support_teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_team_members" ADD CONSTRAINT "support_team_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_teams" ADD CONSTRAINT "support_teams_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_wellbeing" ADD CONSTRAINT "support_wellbeing_person_id_support_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."support_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_wellbeing" ADD CONSTRAINT "support_wellbeing_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "support_connections_person_idx" ON "support_connections" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "support_connections_service_idx" ON "support_connections" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "support_conversations_person_idx" ON "support_conversations" USING btree ("person_id","held_on");--> statement-breakpoint
CREATE INDEX "support_goal_progress_goal_idx" ON "support_goal_progress" USING btree ("goal_id","recorded_on");--> statement-breakpoint
CREATE INDEX "support_goals_person_idx" ON "support_goals" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "support_introductions_person_idx" ON "support_introductions" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "support_introductions_date_idx" ON "support_introductions" USING btree ("introduced_on");--> statement-breakpoint
CREATE INDEX "support_next_steps_person_idx" ON "support_next_steps" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "support_people_team_idx" ON "support_people" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "support_people_coordinator_idx" ON "support_people" USING btree ("coordinator_user_id");--> statement-breakpoint
CREATE INDEX "support_people_lsoa_idx" ON "support_people" USING btree ("lsoa21");--> statement-breakpoint
CREATE INDEX "support_shares_person_idx" ON "support_shares" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "support_shares_user_idx" ON "support_shares" USING btree ("shared_with_user_id");--> statement-breakpoint
CREATE INDEX "support_team_members_user_idx" ON "support_team_members" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "support_teams_name_key" ON "support_teams" USING btree ("organisation_id",lower("name"));--> statement-breakpoint
CREATE INDEX "support_wellbeing_person_idx" ON "support_wellbeing" USING btree ("person_id","measured_on");