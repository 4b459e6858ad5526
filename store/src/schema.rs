//! diesel's view of the tables (see `migrations/`). Times are unix microseconds; enums are
//! stored as their `as_str` text; attributes as JSON text.

diesel::table! {
    repositories (id) {
        id -> BigInt,
        name -> Text,
        vcs -> Text,
        url -> Text,
        indexed_attributes -> Text,
        branch -> Nullable<Text>,
    }
}

diesel::table! {
    pushes (id) {
        id -> BigInt,
        repository_id -> BigInt,
        push_id -> Nullable<BigInt>,
        revision -> Text,
        author -> Text,
        pushed_at -> BigInt,
    }
}

diesel::table! {
    commits (push_row_id, position) {
        push_row_id -> BigInt,
        position -> Integer,
        revision -> Text,
        author -> Text,
        message -> Text,
        branch -> Nullable<Text>,
        tags -> Text,
        files -> Text,
        parents -> Text,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        guid -> Text,
        repository_id -> BigInt,
        push_row_id -> Nullable<BigInt>,
        kind -> Text,
        name -> Text,
        symbol -> Nullable<Text>,
        group_symbol -> Nullable<Text>,
        group_name -> Nullable<Text>,
        platform -> Nullable<Text>,
        build_system -> Nullable<Text>,
        state -> Text,
        result -> Text,
        tier -> Integer,
        machine -> Nullable<Text>,
        submitted_at -> Nullable<BigInt>,
        started_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        attributes -> Text,
    }
}

diesel::table! {
    job_attributes (job_id, key, value) {
        job_id -> BigInt,
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    job_dependencies (dependent_id, dependency_guid) {
        dependent_id -> BigInt,
        dependency_guid -> Text,
        dependency_id -> Nullable<BigInt>,
        kind -> Text,
    }
}

diesel::table! {
    graph_changes (seq) {
        seq -> BigInt,
        job_id -> BigInt,
    }
}

diesel::table! {
    pushlog_polls (repository_id) {
        repository_id -> BigInt,
        next_poll_at -> BigInt,
    }
}

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        kind -> Text,
        repository_id -> Nullable<BigInt>,
        subject_id -> BigInt,
    }
}

diesel::table! {
    job_logs (id) {
        id -> BigInt,
        job_id -> BigInt,
        name -> Text,
        url -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        reason -> Nullable<Text>,
        parsed_at -> Nullable<BigInt>,
        line_count -> Nullable<BigInt>,
        byte_count -> Nullable<BigInt>,
        error_count -> Nullable<BigInt>,
    }
}

diesel::table! {
    log_errors (log_id, position) {
        log_id -> BigInt,
        position -> Integer,
        line_number -> BigInt,
        line -> Text,
        step -> Nullable<Integer>,
        recurrence_test -> Nullable<Text>,
        recurrence_key -> Nullable<Text>,
    }
}

diesel::table! {
    log_steps (log_id, position) {
        log_id -> BigInt,
        position -> Integer,
        name -> Text,
        kind -> Text,
        result -> Text,
        first_line -> BigInt,
        last_line -> Nullable<BigInt>,
        started -> Nullable<Text>,
        finished -> Nullable<Text>,
        duration_ms -> Nullable<BigInt>,
        error_count -> BigInt,
    }
}

diesel::table! {
    test_results (id) {
        id -> BigInt,
        job_id -> BigInt,
        repository_id -> BigInt,
        test -> Text,
        subtest -> Text,
        status -> Text,
        expected -> Nullable<Text>,
        failed -> Bool,
        duration_ms -> Nullable<BigInt>,
        message -> Nullable<Text>,
        stack -> Nullable<Text>,
        test_group -> Nullable<Text>,
    }
}

diesel::table! {
    perf_data (id) {
        id -> BigInt,
        job_id -> Nullable<BigInt>,
        log_id -> Nullable<BigInt>,
        repository_id -> BigInt,
        framework -> Text,
        suite -> Text,
        subtest -> Text,
        platform -> Text,
        value -> Double,
        unit -> Nullable<Text>,
        lower_is_better -> Nullable<Bool>,
        push_row_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    artifacts (id) {
        id -> BigInt,
        job_id -> BigInt,
        name -> Text,
        kind -> Text,
        url -> Text,
        content_type -> Nullable<Text>,
        size -> Nullable<BigInt>,
        sha256 -> Nullable<Text>,
        test_result_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    machines (id) {
        id -> BigInt,
        build_system -> Text,
        name -> Text,
        platform -> Nullable<Text>,
        os -> Nullable<Text>,
        architecture -> Nullable<Text>,
        state -> Text,
        current_job_id -> Nullable<BigInt>,
        last_seen_at -> BigInt,
        reason -> Nullable<Text>,
        until -> Nullable<BigInt>,
    }
}

diesel::table! {
    machine_events (id) {
        id -> BigInt,
        machine_id -> BigInt,
        at -> BigInt,
        state -> Text,
        job_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    schedules (repository_id, name) {
        repository_id -> BigInt,
        name -> Text,
        interval_us -> BigInt,
    }
}

diesel::table! {
    releases (id) {
        id -> BigInt,
        product -> Text,
        version -> Text,
        build_number -> Integer,
        channel -> Text,
        repository_id -> BigInt,
        revision -> Text,
        job_id -> BigInt,
        locales -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    classifications (id) {
        id -> BigInt,
        job_id -> BigInt,
        repository_id -> BigInt,
        log_id -> Nullable<BigInt>,
        position -> Nullable<Integer>,
        classification -> Integer,
        bugs -> Text,
        note -> Nullable<Text>,
        who -> Text,
        automatic -> Bool,
        created_at -> BigInt,
        failed_at -> BigInt,
        recurrence_test -> Nullable<Text>,
        recurrence_key -> Nullable<Text>,
        test -> Nullable<Text>,
        subtest -> Nullable<Text>,
    }
}

diesel::table! {
    job_classifications (job_id) {
        job_id -> BigInt,
        repository_id -> BigInt,
        push_row_id -> Nullable<BigInt>,
        classification_id -> BigInt,
        classification -> Integer,
        automatic -> Bool,
        failed_at -> BigInt,
        platform -> Nullable<Text>,
    }
}

diesel::table! {
    job_classification_bugs (job_id, bug_id) {
        job_id -> BigInt,
        bug_id -> BigInt,
        failed_at -> BigInt,
        classification -> Integer,
        repository_id -> BigInt,
        platform -> Nullable<Text>,
    }
}

diesel::joinable!(pushes -> repositories (repository_id));
diesel::joinable!(commits -> pushes (push_row_id));
diesel::joinable!(jobs -> repositories (repository_id));
diesel::joinable!(jobs -> pushes (push_row_id));
diesel::joinable!(job_attributes -> jobs (job_id));
diesel::joinable!(job_logs -> jobs (job_id));
diesel::joinable!(artifacts -> jobs (job_id));
diesel::joinable!(log_errors -> job_logs (log_id));
diesel::joinable!(log_steps -> job_logs (log_id));
diesel::joinable!(test_results -> jobs (job_id));
diesel::joinable!(perf_data -> jobs (job_id));
diesel::joinable!(perf_data -> pushes (push_row_id));
diesel::joinable!(machine_events -> machines (machine_id));
diesel::joinable!(releases -> jobs (job_id));
diesel::joinable!(classifications -> jobs (job_id));
diesel::joinable!(job_classifications -> jobs (job_id));
diesel::joinable!(job_classification_bugs -> job_classifications (job_id));

diesel::allow_tables_to_appear_in_same_query!(
    repositories,
    pushes,
    commits,
    jobs,
    job_attributes,
    job_dependencies,
    graph_changes,
    change_log,
    pushlog_polls,
    job_logs,
    artifacts,
    log_errors,
    log_steps,
    test_results,
    perf_data,
    machines,
    machine_events,
    schedules,
    releases,
    settings,
    classifications,
    job_classifications,
    job_classification_bugs,
);

diesel::table! {
    builds (id) {
        id -> BigInt,
        product -> Text,
        build_id -> Text,
        version -> Text,
        channel -> Text,
        platform -> Text,
        os -> Nullable<Text>,
        locale -> Text,
        repository_url -> Nullable<Text>,
        revision -> Nullable<Text>,
        repository_id -> Nullable<BigInt>,
        push_row_id -> Nullable<BigInt>,
        job_id -> Nullable<BigInt>,
        download_url -> Nullable<Text>,
        mimetype -> Nullable<Text>,
        size -> Nullable<BigInt>,
        published_at -> Nullable<BigInt>,
        built_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    bugs (id) {
        id -> BigInt,
        status -> Text,
        resolution -> Text,
        summary -> Text,
        dupe_of -> Nullable<BigInt>,
        crash_signature -> Nullable<Text>,
        keywords -> Text,
        whiteboard -> Nullable<Text>,
        last_change -> BigInt,
        imported_at -> BigInt,
    }
}

diesel::table! {
    persisted_queries (id) {
        id -> BigInt,
        sha256 -> Text,
        query -> Text,
    }
}
