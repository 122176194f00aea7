{% macro validated_timezone(var_name, default="UTC") %}
    {#- var `var_name` as an IANA zone name known to the zone database, "UTC" for UTC and its aliases; anything
        else stops the run with one line. -#}
    {% set tz = var(var_name, default) | string | trim %}
    {% if tz | upper in ("UTC", "ETC/UTC", "Z", "GMT", "ETC/GMT") %}
        {{ return("UTC") }}
    {% endif %}
    {% if not modules.re.match("^[A-Za-z0-9_+/-]+$", tz) or tz not in modules.pytz.all_timezones_set %}
        {{ exceptions.raise_compiler_error(
            var_name ~ " must be an IANA zone name such as 'UTC' or 'Asia/Shanghai', got '" ~ tz ~ "'"
        ) }}
    {% endif %}
    {{ return(tz) }}
{% endmacro %}


{% macro orders_timezone() %}
    {#- var `orders_timezone`: the zone of raw order timestamps written without an offset. -#}
    {{ return(validated_timezone("orders_timezone")) }}
{% endmacro %}


{% macro campaign_touches_timezone() %}
    {#- var `campaign_touches_timezone`: the zone of raw touch timestamps written without an offset (unset: the
        orders' zone, var `orders_timezone`). -#}
    {% if is_unset_path(var("campaign_touches_timezone", none)) %}
        {{ return(orders_timezone()) }}
    {% endif %}
    {{ return(validated_timezone("campaign_touches_timezone")) }}
{% endmacro %}
