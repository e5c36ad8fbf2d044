package io.pgflash.core.internal.value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * Parses PostgreSQL's array text output ({@code {1,2,NULL}}, {@code {{1,2},{3,4}}}, {@code {"a b","x\"y"}},
 * {@code [0:1]={1,2}}) into nested lists, decoding each element with a function.
 */
final class ArrayLiteral {

    private final String text;
    private final char delimiter;
    private final Function<String, Object> elementDecoder;
    private int index;

    private ArrayLiteral(String text, char delimiter, Function<String, Object> elementDecoder) {
        this.text = text;
        this.delimiter = delimiter;
        this.elementDecoder = elementDecoder;
    }

    static List<Object> parse(String text, char delimiter, Function<String, Object> elementDecoder) {
        ArrayLiteral parser = new ArrayLiteral(text, delimiter, elementDecoder);
        if (text.startsWith("[")) {
            // explicit bounds, e.g. [0:1]={1,2}: the bounds carry no values
            parser.index = text.indexOf('=') + 1;
        }
        List<Object> result = parser.array();
        if (parser.index != text.length()) {
            throw new IllegalArgumentException("unexpected text after the array at " + parser.index);
        }
        return result;
    }

    private List<Object> array() {
        expect('{');
        List<Object> items = new ArrayList<>();
        if (peek() == '}') {
            index++;
            return Collections.unmodifiableList(items);
        }
        while (true) {
            items.add(peek() == '{' ? array() : element());
            char c = text.charAt(index++);
            if (c == '}') {
                return Collections.unmodifiableList(items);
            }
            if (c != delimiter) {
                throw new IllegalArgumentException("expected '" + delimiter + "' or '}' at " + (index - 1));
            }
        }
    }

    private Object element() {
        if (peek() == '"') {
            index++;
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(index++);
                if (c == '\\') {
                    out.append(text.charAt(index++));
                } else if (c == '"') {
                    return elementDecoder.apply(out.toString());
                } else {
                    out.append(c);
                }
            }
        }
        int start = index;
        while (peek() != delimiter && peek() != '}') {
            index++;
        }
        String raw = text.substring(start, index);
        return raw.equalsIgnoreCase("NULL") ? null : elementDecoder.apply(raw);
    }

    private char peek() {
        if (index >= text.length()) {
            throw new IllegalArgumentException("array text ends early");
        }
        return text.charAt(index);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + index);
        }
        index++;
    }
}
