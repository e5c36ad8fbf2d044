package io.pgflash.core.driver.trigger;

import io.pgflash.core.driver.RowDecoder.TableShapeChangedException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which column places a row's text has values for, when the row may have been written before its table was altered.
 * A table has a place per attribute number, and a dropped column keeps its place: a row written before the drop has
 * a value there, one written before a column was added has none for it. A layout is a string with a letter per
 * place: {@code L} a live column, {@code D} a dropped one.
 */
final class RowLayouts {

    private RowLayouts() {
    }

    /** The layout of a table whose places are dropped as given. */
    static String layout(List<Boolean> dropped) {
        StringBuilder layout = new StringBuilder(dropped.size());
        dropped.forEach(each -> layout.append(each ? 'D' : 'L'));
        return layout.toString();
    }

    /**
     * The places, in order, that a row of {@code values} values has values for.
     *
     * @param now the table's layout now
     * @param then its layout when the reader last had read everything written before (so every row to read was
     *        written after it), or null when not known
     * @throws TableShapeChangedException when more than one choice of places fits
     */
    static List<Integer> placesOf(String now, String then, int values) {
        if (then != null && then.length() > now.length()) {
            then = null; // places are never removed: this was another table's (its oid used again)
        }
        List<Integer> live = placesWhere(now, 'L', 0);
        if (values == live.size() && (then == null || then.equals(now))) {
            return live;
        }
        if (then == null) {
            // all the table tells: columns are added at the end, and a row with a value in every place predates
            // every drop
            if (!now.contains("D") && values < live.size()) {
                return live.subList(0, values);
            }
            if (values == now.length()) {
                return allPlaces(now);
            }
            throw ambiguous(values, live.size());
        }
        List<Integer> kept = new ArrayList<>();
        List<Integer> droppedSince = new ArrayList<>();
        for (int place = 0; place < then.length(); place++) {
            if (then.charAt(place) == 'L') {
                (now.charAt(place) == 'L' ? kept : droppedSince).add(place);
            }
        }
        List<Integer> addedSince = placesWhere(now, 'L', then.length());
        if (now.indexOf('D', then.length()) >= 0) {
            throw ambiguous(values, live.size()); // a column added and dropped since: it may or may not be there
        }
        // columns are added in place order, so a row has the first few of those added since; any of those dropped
        // since may be there (the drops' order is not known), so only none or all of them decide it
        List<Integer> fit = null;
        int fits = 0;
        for (int added = 0; added <= addedSince.size(); added++) {
            int dropped = values - kept.size() - added;
            if (dropped < 0 || dropped > droppedSince.size()) {
                continue;
            }
            if (dropped != 0 && dropped != droppedSince.size()) {
                fits += 2;
                continue;
            }
            fits++;
            fit = new ArrayList<>(kept);
            fit.addAll(addedSince.subList(0, added));
            if (dropped > 0) {
                fit.addAll(droppedSince);
            }
        }
        if (fits != 1) {
            throw ambiguous(values, live.size());
        }
        fit.sort(null);
        return fit;
    }

    private static List<Integer> placesWhere(String layout, char kind, int from) {
        return IntStream.range(from, layout.length()).filter(place -> layout.charAt(place) == kind).boxed().toList();
    }

    private static List<Integer> allPlaces(String layout) {
        return IntStream.range(0, layout.length()).boxed().toList();
    }

    private static TableShapeChangedException ambiguous(int values, int columns) {
        return new TableShapeChangedException("a row with " + values + " values was written before the table, which"
                + " has " + columns + " columns now, was altered in a way that leaves more than one way (or none) to"
                + " match its values to columns");
    }
}
