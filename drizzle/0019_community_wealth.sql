CREATE TABLE "contracts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"supplier_id" uuid,
	"title" text NOT NULL,
	"reference" text,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"value_pence" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contracts_dates_check" CHECK (ends_on >= starts_on)
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source_id" uuid NOT NULL,
	"import_id" uuid NOT NULL,
	"supplier_id" uuid NOT NULL,
	"paid_on" date NOT NULL,
	"amount_pence" bigint NOT NULL,
	"department" text DEFAULT '' NOT NULL,
	"purpose" text DEFAULT '' NOT NULL,
	"reference" text DEFAULT '' NOT NULL,
	"dedupe_key" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "social_value_commitments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_id" uuid NOT NULL,
	"measure_id" uuid NOT NULL,
	"promised" double precision NOT NULL,
	"area_vintage" text,
	"area_code" text,
	CONSTRAINT "social_value_commitments_promised_check" CHECK (promised >= 0)
);
--> statement-breakpoint
CREATE TABLE "social_value_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"commitment_id" uuid NOT NULL,
	"delivered_on" date NOT NULL,
	"quantity" double precision NOT NULL,
	"evidence" text NOT NULL,
	"recorded_by" uuid,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_value_deliveries_quantity_check" CHECK (quantity >= 0)
);
--> statement-breakpoint
CREATE TABLE "social_value_measures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"unit" text NOT NULL,
	"proxy_value" double precision,
	"proxy_source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_value_measures_proxy_check" CHECK (proxy_value is null or (proxy_value >= 0 and proxy_source is not null))
);
--> statement-breakpoint
CREATE TABLE "spend_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"file_sha256" text NOT NULL,
	"rows_read" integer NOT NULL,
	"payments_added" integer NOT NULL,
	"duplicates_skipped" integer NOT NULL,
	"credit_notes" integer NOT NULL,
	"total_pence" bigint NOT NULL,
	"first_paid_on" date,
	"last_paid_on" date,
	"imported_by" uuid,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spend_sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"home_lad25" text,
	"sample" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supplier_aliases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"supplier_id" uuid NOT NULL,
	"published_name" text NOT NULL,
	"published_id" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supplier_merges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"kept_id" uuid NOT NULL,
	"merged_id" uuid NOT NULL,
	"merged_name" text NOT NULL,
	"payments_moved" integer NOT NULL,
	"reason" text NOT NULL,
	"merged_by" uuid,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppliers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"name_key" text NOT NULL,
	"kind" text DEFAULT 'unknown' NOT NULL,
	"postcode" text,
	"lsoa21" text,
	"ward25" text,
	"lad25" text,
	"company_number" text,
	"charity_number" text,
	"merged_into_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppliers_kind_check" CHECK (kind in ('sme', 'large', 'vcse', 'public', 'individual', 'unknown'))
);
--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_source_id_spend_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."spend_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_import_id_spend_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."spend_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_value_commitments" ADD CONSTRAINT "social_value_commitments_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_value_commitments" ADD CONSTRAINT "social_value_commitments_measure_id_social_value_measures_id_fk" FOREIGN KEY ("measure_id") REFERENCES "public"."social_value_measures"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_value_deliveries" ADD CONSTRAINT "social_value_deliveries_commitment_id_social_value_commitments_id_fk" FOREIGN KEY ("commitment_id") REFERENCES "public"."social_value_commitments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_value_deliveries" ADD CONSTRAINT "social_value_deliveries_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_value_measures" ADD CONSTRAINT "social_value_measures_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_imports" ADD CONSTRAINT "spend_imports_source_id_spend_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."spend_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_imports" ADD CONSTRAINT "spend_imports_imported_by_users_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_sources" ADD CONSTRAINT "spend_sources_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_aliases" ADD CONSTRAINT "supplier_aliases_source_id_spend_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."spend_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_aliases" ADD CONSTRAINT "supplier_aliases_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_merges" ADD CONSTRAINT "supplier_merges_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_merges" ADD CONSTRAINT "supplier_merges_kept_id_suppliers_id_fk" FOREIGN KEY ("kept_id") REFERENCES "public"."suppliers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_merges" ADD CONSTRAINT "supplier_merges_merged_id_suppliers_id_fk" FOREIGN KEY ("merged_id") REFERENCES "public"."suppliers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supplier_merges" ADD CONSTRAINT "supplier_merges_merged_by_users_id_fk" FOREIGN KEY ("merged_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppliers" ADD CONSTRAINT "suppliers_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppliers" ADD CONSTRAINT "suppliers_merged_into_id_suppliers_id_fk" FOREIGN KEY ("merged_into_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contracts_organisation_idx" ON "contracts" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_dedupe_idx" ON "payments" USING btree ("source_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "payments_supplier_idx" ON "payments" USING btree ("supplier_id");--> statement-breakpoint
CREATE INDEX "payments_source_paid_idx" ON "payments" USING btree ("source_id","paid_on");--> statement-breakpoint
CREATE INDEX "social_value_commitments_contract_idx" ON "social_value_commitments" USING btree ("contract_id");--> statement-breakpoint
CREATE INDEX "social_value_deliveries_commitment_idx" ON "social_value_deliveries" USING btree ("commitment_id","delivered_on");--> statement-breakpoint
CREATE INDEX "social_value_measures_organisation_idx" ON "social_value_measures" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "spend_imports_source_idx" ON "spend_imports" USING btree ("source_id");--> statement-breakpoint
CREATE UNIQUE INDEX "spend_imports_file_idx" ON "spend_imports" USING btree ("source_id","file_sha256");--> statement-breakpoint
CREATE INDEX "spend_sources_organisation_idx" ON "spend_sources" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "supplier_aliases_published_idx" ON "supplier_aliases" USING btree ("source_id","published_name","published_id");--> statement-breakpoint
CREATE INDEX "supplier_aliases_supplier_idx" ON "supplier_aliases" USING btree ("supplier_id");--> statement-breakpoint
CREATE INDEX "supplier_merges_organisation_idx" ON "supplier_merges" USING btree ("organisation_id","merged_at");--> statement-breakpoint
CREATE INDEX "suppliers_organisation_key_idx" ON "suppliers" USING btree ("organisation_id","name_key");--> statement-breakpoint
CREATE INDEX "suppliers_lad_idx" ON "suppliers" USING btree ("lad25");