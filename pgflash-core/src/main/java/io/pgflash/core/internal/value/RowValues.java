package io.pgflash.core.internal.value;

import java.util.LinkedHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A decoded row's values, built for one {@link io.pgflash.core.Row}: the row takes this map as it is instead of
 * copying it, which every event would otherwise pay for. Only the first row made from it may take it.
 */
public final class RowValues extends LinkedHashMap<String, @Nullable Object> {

    private boolean taken;

    /** Sized for {@code columns} entries, so it never grows while filled. */
    public RowValues(int columns) {
        super((int) (columns / 0.75f) + 1);
    }

    /** True for the first caller only: that row keeps this map, and no one else may change it. */
    public boolean take() {
        if (taken) {
            return false;
        }
        taken = true;
        return true;
    }
}
