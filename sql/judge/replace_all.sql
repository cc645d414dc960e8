-- Inside the pass's transaction, before a full pass (every agency judged again): nothing stored stands.
DELETE FROM quality_results;
DELETE FROM quality_scope_agencies;
DELETE FROM quality_inputs;
