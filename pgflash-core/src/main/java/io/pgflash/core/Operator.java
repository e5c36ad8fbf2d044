package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.util.Locale;

/** Comparison operators of a {@link Condition}, named as in PostgREST/Supabase filters. */
public enum Operator {
    EQ("eq"), NEQ("neq"), LT("lt"), LTE("lte"), GT("gt"), GTE("gte"), IN("in"), IS_NULL("is.null"),
    IS_NOT_NULL("not.is.null");

    private final String token;

    Operator(String token) {
        this.token = token;
    }

    /** The name used in filter strings, e.g. {@code eq} or {@code not.is.null}. */
    public String token() {
        return token;
    }

    /** True for operators that order values (lt, lte, gt, gte). */
    public boolean isOrdering() {
        return this == LT || this == LTE || this == GT || this == GTE;
    }

    static @Nullable Operator fromToken(String token) {
        for (Operator operator : values()) {
            if (operator.token.equals(token.toLowerCase(Locale.ROOT))) {
                return operator;
            }
        }
        return null;
    }
}
