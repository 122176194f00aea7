{#- Predictive customer value (METRICS.md §11): the vars, checked once, and the observation windows. -#}

{% macro clv_params() %}
    {#- The CLV vars as a dict, each checked: a bad value stops the run with one clear line. -#}
    {% set params = {
        "time_unit_days": var("clv_time_unit_days", 7),
        "horizon_days": var("clv_horizon_days", 365),
        "holdout_days": var("clv_holdout_days", 182),
        "fit_max_customers": var("clv_fit_max_customers", 1000000),
        "min_repeat_customers": var("clv_min_repeat_customers", 20),
    } %}
    {% set minimums = {
        "time_unit_days": 1, "horizon_days": 1, "holdout_days": 0, "fit_max_customers": 100,
        "min_repeat_customers": 2,
    } %}
    {% for name, value in params.items() %}
        {% if value is not number or value != value | int or value < minimums[name] %}
            {{ exceptions.raise_compiler_error(
                "clv_" ~ name ~ " must be a whole number of at least " ~ minimums[name] ~ ", got '" ~ value ~ "'"
            ) }}
        {% endif %}
    {% endfor %}
    {% do params.update({"parameters": clv_given_parameters()}) %}
    {{ return(params) }}
{% endmacro %}


{% macro clv_given_parameters() %}
    {#- var `clv_parameters` checked: none (fit), or per model (bg_nbd, gamma_gamma) every parameter as a positive
        number; q > 1 for Gamma-Gamma. -#}
    {% set given = var("clv_parameters", none) %}
    {% if given is none or (given is string and given | trim in ("", "none", "null")) %}
        {{ return({}) }}
    {% endif %}
    {% set names = {"bg_nbd": ["r", "alpha", "a", "b"], "gamma_gamma": ["p", "q", "gamma"]} %}
    {% if given is not mapping or given | length == 0 %}
        {{ exceptions.raise_compiler_error(
            "clv_parameters must map bg_nbd and/or gamma_gamma to their parameters, e.g. "
            ~ "{bg_nbd: {r: 0.243, alpha: 4.414, a: 0.793, b: 2.426}}, got '" ~ given ~ "'"
        ) }}
    {% endif %}
    {% for model, values in given.items() %}
        {% if model not in names %}
            {{ exceptions.raise_compiler_error(
                "clv_parameters: unknown model '" ~ model ~ "' (bg_nbd or gamma_gamma)"
            ) }}
        {% endif %}
        {% if values is not mapping or values.keys() | sort != names[model] | sort %}
            {{ exceptions.raise_compiler_error(
                "clv_parameters." ~ model ~ " must give exactly " ~ names[model] | join(", ") ~ ", got '" ~ values ~ "'"
            ) }}
        {% endif %}
        {% for name, value in values.items() %}
            {% if value is not number or value <= 0 %}
                {{ exceptions.raise_compiler_error(
                    "clv_parameters." ~ model ~ "." ~ name ~ " must be a positive number, got '" ~ value ~ "'"
                ) }}
            {% endif %}
        {% endfor %}
        {% if model == "gamma_gamma" and values.q <= 1 %}
            {{ exceptions.raise_compiler_error(
                "clv_parameters.gamma_gamma.q must be greater than 1 (the mean spend is p * gamma / (q - 1)), got "
                ~ values.q
            ) }}
        {% endif %}
    {% endfor %}
    {{ return(given) }}
{% endmacro %}


{% macro clv_last_observed_date(as_of_expr) %}
    {#- SQL for L, the reporting-timezone day holding the last instant before metrics_as_of: the day of
        metrics_as_of, or the day before when metrics_as_of is exactly midnight. -#}
    {%- set as_of_day = truncate_to_grain('day', as_of_expr) -%}
    case
        when cast({{ as_of_day }} as {{ dbt.type_timestamp() }}) < {{ to_reporting_timezone(as_of_expr) }}
            then {{ as_of_day }}
        else cast({{ dbt.dateadd('day', -1, as_of_day) }} as date)
    end
{% endmacro %}


{% macro clv_fit_relation(identifier) %}
    {#- Engines without dbt Python models: the table scripts/fit_clv.py wrote to schema var `clv_schema`, as a
        relation, or none when it does not exist (yet). Always none while parsing. -#}
    {% set declared = source('clv_fit', identifier) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {{ return(adapter.get_relation(database=declared.database, schema=declared.schema, identifier=declared.identifier)) }}
{% endmacro %}


{% macro clv_fit_warning() %}
    {#- For the warn-severity test warn_clv_model_not_fitted: logs one line "WARN CLV model not fitted ..." naming
        every model that could not be fitted and why, and returns it ("" when all are fitted or before
        execution). -#}
    {% if not execute %}
        {{ return("") }}
    {% endif %}
    {% set parameters = adapter.get_relation(this.database, target.schema, "clv_model_parameters") %}
    {% if parameters is none %}
        {{ return("") }}
    {% endif %}
    {% set rows = run_query(
        "select fitted_on, model, max(fit_message) from " ~ parameters
        ~ " where fit_status = 'not_fitted' group by fitted_on, model order by fitted_on desc, model"
    ) %}
    {% if rows.rows | length == 0 %}
        {{ return("") }}
    {% endif %}
    {#- one clause per reason, naming the models it stops: "bg_nbd (observation), gamma_gamma (observation): ..." -#}
    {% set reasons = [] %}
    {% set models = {} %}
    {% set ns = namespace(observed=false) %}
    {% for row in rows.rows %}
        {% if row[2] not in models %}
            {% do reasons.append(row[2]) %}
            {% do models.update({row[2]: []}) %}
        {% endif %}
        {% do models[row[2]].append(row[1] ~ " (" ~ row[0] ~ ")") %}
        {% set ns.observed = ns.observed or row[0] == "observation" %}
    {% endfor %}
    {% set problems = [] %}
    {% for reason in reasons %}
        {% do problems.append(models[reason] | join(", ") ~ ": " ~ reason) %}
    {% endfor %}
    {% set consequence = "the predictions that need it are NULL" if ns.observed
        else "the holdout validation has no predictions" %}
    {% set message = "CLV model not fitted, " ~ consequence ~ " -> " ~ problems | join("; ") %}
    {% do log("WARN " ~ message, info=true) %}
    {{ return(message) }}
{% endmacro %}
