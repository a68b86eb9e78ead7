CREATE TABLE "directory_contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"title" text,
	"phone" text,
	"phone_key" text,
	"email" text,
	"public" boolean DEFAULT false NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "directory_contacts_kind_check" CHECK (kind in ('organisation', 'staff', 'private-individual')),
	CONSTRAINT "directory_contacts_private_check" CHECK (not (public and kind = 'private-individual'))
);
--> statement-breakpoint
CREATE TABLE "directory_locations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"name" text,
	"description" text,
	"address_1" text,
	"city" text,
	"postcode" text,
	"location" geometry(Point,4326),
	"location_bng" geometry(Point,27700),
	"lsoa21" text,
	"ward25" text,
	"lad25" text,
	"accessibility" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_organisations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"email" text,
	"url" text,
	"phone" text,
	"sample" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" uuid NOT NULL,
	"service_location_id" uuid,
	"freq" text NOT NULL,
	"interval" integer DEFAULT 1 NOT NULL,
	"by_day" text NOT NULL,
	"opens_at" time,
	"closes_at" time,
	"valid_from" date,
	"valid_to" date,
	"description" text,
	CONSTRAINT "directory_schedules_freq_check" CHECK (freq in ('WEEKLY', 'MONTHLY')),
	CONSTRAINT "directory_schedules_interval_check" CHECK (interval between 1 and 12),
	CONSTRAINT "directory_schedules_by_day_check" CHECK (by_day ~ '^(-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*$')
);
--> statement-breakpoint
CREATE TABLE "directory_service_locations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" uuid NOT NULL,
	"location_id" uuid NOT NULL,
	CONSTRAINT "directory_service_locations_key" UNIQUE("service_id","location_id")
);
--> statement-breakpoint
CREATE TABLE "directory_service_taxonomies" (
	"service_id" uuid NOT NULL,
	"term_id" text NOT NULL,
	CONSTRAINT "directory_service_taxonomies_service_id_term_id_pk" PRIMARY KEY("service_id","term_id")
);
--> statement-breakpoint
CREATE TABLE "directory_services" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"directory_organisation_id" uuid NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"name_key" text NOT NULL,
	"description" text,
	"url" text,
	"email" text,
	"status" text DEFAULT 'active' NOT NULL,
	"free" boolean,
	"fees" text,
	"eligibility" text,
	"minimum_age" integer,
	"maximum_age" integer,
	"wheelchair_accessible" boolean,
	"accessibility" text,
	"last_checked" date NOT NULL,
	"merged_into_id" uuid,
	"sample" boolean DEFAULT false NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')) STORED NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "directory_services_kind_check" CHECK (kind in ('place', 'activity')),
	CONSTRAINT "directory_services_status_check" CHECK (status in ('active', 'inactive', 'defunct', 'temporarily closed')),
	CONSTRAINT "directory_services_ages_check" CHECK (minimum_age is null or maximum_age is null or minimum_age <= maximum_age)
);
--> statement-breakpoint
CREATE TABLE "directory_suggestions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"service_id" uuid,
	"proposed" jsonb NOT NULL,
	"lad25" text,
	"submitter_email" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"result_service_id" uuid,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "directory_suggestions_kind_check" CHECK (kind in ('new', 'correction')),
	CONSTRAINT "directory_suggestions_status_check" CHECK (status in ('pending', 'accepted', 'merged', 'rejected')),
	CONSTRAINT "directory_suggestions_correction_check" CHECK (kind = 'new' or service_id is not null or status <> 'pending')
);
--> statement-breakpoint
CREATE TABLE "directory_taxonomy_terms" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"parent_id" text,
	"vocabulary" text NOT NULL,
	"owner_organisation_id" uuid
);
--> statement-breakpoint
ALTER TABLE "directory_contacts" ADD CONSTRAINT "directory_contacts_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_locations" ADD CONSTRAINT "directory_locations_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_organisations" ADD CONSTRAINT "directory_organisations_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_schedules" ADD CONSTRAINT "directory_schedules_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_schedules" ADD CONSTRAINT "directory_schedules_service_location_id_directory_service_locations_id_fk" FOREIGN KEY ("service_location_id") REFERENCES "public"."directory_service_locations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_service_locations" ADD CONSTRAINT "directory_service_locations_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_service_locations" ADD CONSTRAINT "directory_service_locations_location_id_directory_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "public"."directory_locations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_service_taxonomies" ADD CONSTRAINT "directory_service_taxonomies_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_service_taxonomies" ADD CONSTRAINT "directory_service_taxonomies_term_id_directory_taxonomy_terms_id_fk" FOREIGN KEY ("term_id") REFERENCES "public"."directory_taxonomy_terms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_services" ADD CONSTRAINT "directory_services_directory_organisation_id_directory_organisations_id_fk" FOREIGN KEY ("directory_organisation_id") REFERENCES "public"."directory_organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_services" ADD CONSTRAINT "directory_services_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_services" ADD CONSTRAINT "directory_services_merged_into_id_directory_services_id_fk" FOREIGN KEY ("merged_into_id") REFERENCES "public"."directory_services"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_services" ADD CONSTRAINT "directory_services_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_suggestions" ADD CONSTRAINT "directory_suggestions_service_id_directory_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."directory_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_suggestions" ADD CONSTRAINT "directory_suggestions_result_service_id_directory_services_id_fk" FOREIGN KEY ("result_service_id") REFERENCES "public"."directory_services"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_suggestions" ADD CONSTRAINT "directory_suggestions_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_taxonomy_terms" ADD CONSTRAINT "directory_taxonomy_terms_parent_id_directory_taxonomy_terms_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."directory_taxonomy_terms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_taxonomy_terms" ADD CONSTRAINT "directory_taxonomy_terms_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "directory_contacts_service_idx" ON "directory_contacts" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "directory_contacts_phone_key_idx" ON "directory_contacts" USING btree ("phone_key");--> statement-breakpoint
CREATE INDEX "directory_locations_location_idx" ON "directory_locations" USING gist ("location");--> statement-breakpoint
CREATE INDEX "directory_locations_location_bng_idx" ON "directory_locations" USING gist ("location_bng");--> statement-breakpoint
CREATE INDEX "directory_locations_postcode_idx" ON "directory_locations" USING btree ("postcode");--> statement-breakpoint
CREATE INDEX "directory_locations_lsoa21_idx" ON "directory_locations" USING btree ("lsoa21");--> statement-breakpoint
CREATE INDEX "directory_locations_ward25_idx" ON "directory_locations" USING btree ("ward25");--> statement-breakpoint
CREATE INDEX "directory_locations_lad25_idx" ON "directory_locations" USING btree ("lad25");--> statement-breakpoint
CREATE INDEX "directory_organisations_owner_idx" ON "directory_organisations" USING btree ("owner_organisation_id");--> statement-breakpoint
CREATE INDEX "directory_schedules_service_idx" ON "directory_schedules" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "directory_service_locations_location_idx" ON "directory_service_locations" USING btree ("location_id");--> statement-breakpoint
CREATE INDEX "directory_service_taxonomies_term_idx" ON "directory_service_taxonomies" USING btree ("term_id");--> statement-breakpoint
CREATE INDEX "directory_services_owner_idx" ON "directory_services" USING btree ("owner_organisation_id");--> statement-breakpoint
CREATE INDEX "directory_services_organisation_idx" ON "directory_services" USING btree ("directory_organisation_id");--> statement-breakpoint
CREATE INDEX "directory_services_name_key_idx" ON "directory_services" USING btree ("name_key");--> statement-breakpoint
CREATE INDEX "directory_services_search_idx" ON "directory_services" USING gin ("search");--> statement-breakpoint
CREATE INDEX "directory_suggestions_status_idx" ON "directory_suggestions" USING btree ("status","lad25");--> statement-breakpoint
CREATE INDEX "directory_suggestions_service_idx" ON "directory_suggestions" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "directory_taxonomy_terms_parent_idx" ON "directory_taxonomy_terms" USING btree ("parent_id");--> statement-breakpoint
-- The community assets vocabulary Patchwork ships: places (physical assets) and groups and activities
-- (social assets). Organisations add their own terms beside these; these ids never change.
INSERT INTO "directory_taxonomy_terms" ("id", "name", "description", "parent_id", "vocabulary") VALUES
  ('places', 'Places', 'Buildings and spaces people use', NULL, 'patchwork-community-assets'),
  ('community-space', 'Community centres, halls and hubs', 'Places a community can meet: community centres, village and church halls, neighbourhood hubs', 'places', 'patchwork-community-assets'),
  ('library', 'Libraries', NULL, 'places', 'patchwork-community-assets'),
  ('park', 'Parks, green and open spaces', 'Parks, playing fields, nature reserves, playgrounds', 'places', 'patchwork-community-assets'),
  ('allotment', 'Allotments and community gardens', NULL, 'places', 'patchwork-community-assets'),
  ('place-of-worship', 'Places of worship', NULL, 'places', 'patchwork-community-assets'),
  ('school', 'Schools and colleges', NULL, 'places', 'patchwork-community-assets'),
  ('gp-surgery', 'GP surgeries and health centres', NULL, 'places', 'patchwork-community-assets'),
  ('pharmacy', 'Pharmacies', NULL, 'places', 'patchwork-community-assets'),
  ('family-hub', 'Family hubs and children''s centres', NULL, 'places', 'patchwork-community-assets'),
  ('youth-centre', 'Youth centres', NULL, 'places', 'patchwork-community-assets'),
  ('sports-leisure', 'Sports and leisure centres', NULL, 'places', 'patchwork-community-assets'),
  ('meeting-place', 'Cafés, pubs and shops used as meeting places', NULL, 'places', 'patchwork-community-assets'),
  ('activities', 'Groups and activities', 'What people do together, and who helps', NULL, 'patchwork-community-assets'),
  ('group-club', 'Groups and clubs', NULL, 'activities', 'patchwork-community-assets'),
  ('volunteering', 'Volunteering', NULL, 'activities', 'patchwork-community-assets'),
  ('vcse-organisation', 'Voluntary and community organisations', 'Charities, community groups and social enterprises (VCSE)', 'activities', 'patchwork-community-assets'),
  ('physical-activity', 'Sport and physical activity', NULL, 'activities', 'patchwork-community-assets'),
  ('arts-culture', 'Arts, crafts and culture', NULL, 'activities', 'patchwork-community-assets'),
  ('social-group', 'Social groups and lunch clubs', NULL, 'activities', 'patchwork-community-assets'),
  ('older-people', 'For older people', NULL, 'activities', 'patchwork-community-assets'),
  ('children-families', 'For children, young people and families', NULL, 'activities', 'patchwork-community-assets'),
  ('mental-wellbeing', 'Mental health and wellbeing', NULL, 'activities', 'patchwork-community-assets'),
  ('advice', 'Advice: money, benefits, housing and debt', NULL, 'activities', 'patchwork-community-assets'),
  ('food-support', 'Food support: food banks, pantries and community meals', NULL, 'activities', 'patchwork-community-assets'),
  ('learning-skills', 'Learning, skills and work', NULL, 'activities', 'patchwork-community-assets');
