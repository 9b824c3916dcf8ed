package features

// Keys of the Parquet key/value metadata leadscore writes. Tables read back
// keep every key with the "leadscore." prefix.
const (
	MetaSchemaVersion     = "leadscore.schema_version"     // layout version (SchemaVersion)
	MetaAsOf              = "leadscore.as_of"              // as-of mode: the date, RFC 3339
	MetaCutoffs           = "leadscore.cutoffs"            // cutoff mode: the cutoff file's name
	MetaPassthrough       = "leadscore.passthrough"        // cutoff columns passed through, comma-separated
	MetaAttributes        = "leadscore.attributes"         // entity attribute columns, comma-separated
	MetaRulesMaxTotal     = "leadscore.rules_max_total"    // RuleSet.MaxTotal, what predict scales rule points by
	MetaSpec              = "leadscore.spec"               // the resolved feature spec, JSON
	MetaSpecHash          = "leadscore.spec_hash"          // Spec.Hash
	MetaSnapshots         = "leadscore.snapshots"          // snapshot mode: the dates, RFC 3339, comma-separated
	MetaTarget            = "leadscore.target"             // the rows' Target, JSON
	MetaNewestEvent       = "leadscore.newest_event"       // the latest event some row could count, RFC 3339; "" when none
	MetaOutcomesKnown     = "leadscore.outcomes_known"     // labels count outcomes known before this time, RFC 3339
	MetaFeatures          = "leadscore.features"           // column → Descriptor, JSON
	MetaModelVerdict      = "leadscore.model_verdict"      // ranked files: a weak model scored anyway
	MetaRead              = "leadscore.read"               // flat files: how text columns were read ([]ColumnRead), JSON
	MetaDuplicatesSkipped = "leadscore.duplicates_skipped" // with Config.Dedupe
	MetaInputPrefix       = "leadscore.input."             // + role: an input's name, size and SHA-256
	MetaToolVersion       = "leadscore.tool_version"
	MetaModelID           = "leadscore.model_id" // ranked files: the model that scored them
	MetaRFMWindow         = "leadscore.rfm.window"
	MetaRFMTimeUnit       = "leadscore.rfm.time_unit"
)
