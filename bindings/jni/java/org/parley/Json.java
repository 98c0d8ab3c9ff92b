package org.parley;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the C ABI takes and returns (RFC 8259), as plain Java values: an object is a
 * {@code Map<String, Object>} (keys in document order), an array a {@code List<Object>}, a string
 * a {@code String}, a number a {@code Long} when it is an integer that fits, else a {@code
 * Double}, true/false a {@code Boolean}, null {@code null}. Parsed values are unmodifiable.
 * Thread safety: static functions with no shared state.
 */
public final class Json {
  private Json() {}

  /** Parses one JSON value. IllegalArgumentException (with the offset) for malformed text. */
  public static Object parse(String text) {
    Parser p = new Parser(text);
    p.skipSpace();
    Object value = p.value(0);
    p.skipSpace();
    if (p.at < text.length()) throw p.error("text after the JSON value");
    return value;
  }

  /** Parses a JSON object. IllegalArgumentException when the text is not one. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) throw new IllegalArgumentException("JSON: not an object: " + text);
    return (Map<String, Object>) value;
  }

  /**
   * Writes a value as JSON: Map (String keys), List or array of Object, CharSequence, Number,
   * Boolean or null. IllegalArgumentException for anything else or a non-finite number.
   */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  // ---- Typed access to parsed values, for callers and tests ----

  /** The member `key` of an object, which must be a string. */
  public static String string(Map<String, Object> object, String key) {
    return cast(object, key, String.class);
  }

  /** The member `key` of an object, which must be an integer. */
  public static long integer(Map<String, Object> object, String key) {
    return cast(object, key, Long.class);
  }

  /** The member `key` of an object, which must be true or false. */
  public static boolean bool(Map<String, Object> object, String key) {
    return cast(object, key, Boolean.class);
  }

  /** The member `key` of an object, which must be an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Map<String, Object> object, String key) {
    return cast(object, key, Map.class);
  }

  /** The member `key` of an object, which must be an array of objects. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> objects(Map<String, Object> object, String key) {
    List<Object> list = cast(object, key, List.class);
    for (Object item : list) {
      if (!(item instanceof Map)) throw new IllegalArgumentException("JSON: \"" + key + "\" holds a non-object");
    }
    return (List<Map<String, Object>>) (List<?>) list;
  }

  private static <T> T cast(Map<String, Object> object, String key, Class<T> type) {
    Object value = object.get(key);
    if (!type.isInstance(value)) {
      throw new IllegalArgumentException("JSON: \"" + key + "\" is "
          + (value == null ? (object.containsKey(key) ? "null" : "missing") : value.getClass().getSimpleName())
          + ", not " + type.getSimpleName() + " in " + write(object));
    }
    return type.cast(value);
  }

  // ---- Writing ----

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof CharSequence) {
      quote(value.toString(), out);
    } else if (value instanceof Boolean) {
      out.append(value.toString());
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("JSON: " + d + " is not a number");
      out.append(d);
    } else if (value instanceof Number) {
      out.append(value.toString());
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        if (!(e.getKey() instanceof String)) throw new IllegalArgumentException("JSON: object keys must be strings");
        if (!first) out.append(',');
        first = false;
        quote((String) e.getKey(), out);
        out.append(':');
        write(e.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof Iterable || value instanceof Object[]) {
      Iterable<?> items = value instanceof Object[] ? List.of((Object[]) value) : (Iterable<?>) value;
      out.append('[');
      boolean first = true;
      for (Object item : items) {
        if (!first) out.append(',');
        first = false;
        write(item, out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("JSON: cannot write a " + value.getClass().getName());
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);  // surrogate pairs pass through: the text is encoded as UTF-8 whole
          }
      }
    }
    out.append('"');
  }

  // ---- Parsing ----

  private static final int MAX_DEPTH = 256;

  private static final class Parser {
    final String text;
    int at;

    Parser(String text) {
      this.text = text;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("JSON: " + what + " at offset " + at);
    }

    void skipSpace() {
      while (at < text.length()) {
        char c = text.charAt(at);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        at++;
      }
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
      if (at >= text.length()) throw error("unexpected end");
      char c = text.charAt(at);
      switch (c) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string();
        case 't': return literal("true", Boolean.TRUE);
        case 'f': return literal("false", Boolean.FALSE);
        case 'n': return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) return number();
          throw error("unexpected character '" + c + "'");
      }
    }

    Object literal(String word, Object value) {
      if (!text.startsWith(word, at)) throw error("expected " + word);
      at += word.length();
      return value;
    }

    Map<String, Object> object(int depth) {
      Map<String, Object> map = new LinkedHashMap<>();
      at++;  // {
      skipSpace();
      if (at < text.length() && text.charAt(at) == '}') {
        at++;
        return Collections.unmodifiableMap(map);
      }
      while (true) {
        skipSpace();
        if (at >= text.length() || text.charAt(at) != '"') throw error("expected a key");
        String key = string();
        skipSpace();
        expect(':');
        skipSpace();
        if (map.containsKey(key)) throw error("duplicate key \"" + key + "\"");
        map.put(key, value(depth + 1));
        skipSpace();
        if (at < text.length() && text.charAt(at) == ',') {
          at++;
          continue;
        }
        expect('}');
        return Collections.unmodifiableMap(map);
      }
    }

    List<Object> array(int depth) {
      List<Object> list = new ArrayList<>();
      at++;  // [
      skipSpace();
      if (at < text.length() && text.charAt(at) == ']') {
        at++;
        return Collections.unmodifiableList(list);
      }
      while (true) {
        skipSpace();
        list.add(value(depth + 1));
        skipSpace();
        if (at < text.length() && text.charAt(at) == ',') {
          at++;
          continue;
        }
        expect(']');
        return Collections.unmodifiableList(list);
      }
    }

    void expect(char c) {
      if (at >= text.length() || text.charAt(at) != c) throw error("expected '" + c + "'");
      at++;
    }

    String string() {
      at++;  // "
      StringBuilder out = new StringBuilder();
      while (true) {
        if (at >= text.length()) throw error("unterminated string");
        char c = text.charAt(at++);
        if (c == '"') return out.toString();
        if (c < 0x20) throw error("control character in a string");
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (at >= text.length()) throw error("unterminated escape");
        char e = text.charAt(at++);
        switch (e) {
          case '"': out.append('"'); break;
          case '\\': out.append('\\'); break;
          case '/': out.append('/'); break;
          case 'b': out.append('\b'); break;
          case 'f': out.append('\f'); break;
          case 'n': out.append('\n'); break;
          case 'r': out.append('\r'); break;
          case 't': out.append('\t'); break;
          case 'u':
            if (at + 4 > text.length()) throw error("short \\u escape");
            try {
              out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            } catch (NumberFormatException ex) {
              throw error("bad \\u escape");
            }
            at += 4;
            break;
          default:
            throw error("bad escape \\" + e);
        }
      }
    }

    Object number() {
      int start = at;
      if (text.charAt(at) == '-') at++;
      boolean integral = true;
      while (at < text.length()) {
        char c = text.charAt(at);
        if (c >= '0' && c <= '9') {
          at++;
        } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
          integral = false;
          at++;
        } else {
          break;
        }
      }
      String s = text.substring(start, at);
      try {
        if (integral) {
          try {
            return Long.parseLong(s);
          } catch (NumberFormatException tooLarge) {
            // An integer beyond a long: as a double below.
          }
        }
        return Double.parseDouble(s);
      } catch (NumberFormatException ex) {
        at = start;
        throw error("bad number \"" + s + "\"");
      }
    }
  }
}
