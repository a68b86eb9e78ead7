CREATE TABLE "spend_summary" (
	"source_id" uuid NOT NULL,
	"supplier_id" uuid NOT NULL,
	"financial_year" smallint NOT NULL,
	"department" text NOT NULL,
	"payments" integer NOT NULL,
	"amount_pence" bigint NOT NULL,
	CONSTRAINT "spend_summary_source_id_supplier_id_financial_year_department_pk" PRIMARY KEY("source_id","supplier_id","financial_year","department")
);
--> statement-breakpoint
CREATE TABLE "spend_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"uploaded_by" uuid,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "impact_measures" DROP CONSTRAINT "impact_measures_source_check";--> statement-breakpoint
ALTER TABLE "spend_summary" ADD CONSTRAINT "spend_summary_source_id_spend_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."spend_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_summary" ADD CONSTRAINT "spend_summary_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_uploads" ADD CONSTRAINT "spend_uploads_source_id_spend_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."spend_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spend_uploads" ADD CONSTRAINT "spend_uploads_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "spend_summary_supplier_idx" ON "spend_summary" USING btree ("supplier_id");--> statement-breakpoint
CREATE INDEX "spend_uploads_source_idx" ON "spend_uploads" USING btree ("source_id","uploaded_at");--> statement-breakpoint
ALTER TABLE "impact_measures" ADD CONSTRAINT "impact_measures_source_check" CHECK (source in ('indicator', 'local-indicator', 'voice', 'support', 'social-value', 'manual'));