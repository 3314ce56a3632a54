// write_scatter: a matplotlib-looking scatter chart drawn with cairo.
// Sizes follow matplotlib's defaults at 100 dpi (fonts in points, 1 pt =
// 100/72 px): 10 pt tick and axis labels, 12 pt title, 3.5 pt ticks, an axes
// box from 12.5% to 90% of the width and 11% to 88% of the height (widened
// when the labels need more room), and a legend placed where it hides the
// fewest points, as loc="best" does.
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "embetter/error.h"
#include "embetter/labels.h"
#include "embetter/plot.h"
#include "io/atomic_file.h"
#include "io/markup.h"
#include "plot/ticks.h"

namespace emb {
namespace {

constexpr double kPx = 100.0 / 72.0;  // pixels per point at matplotlib's 100 dpi
constexpr double kFont = 10.0 * kPx;
constexpr double kTitleFont = 12.0 * kPx;
constexpr double kTickLength = 3.5 * kPx;
constexpr double kTickPad = 3.5 * kPx;
constexpr double kLabelPad = 4.0 * kPx;
constexpr double kTitlePad = 6.0 * kPx;
constexpr double kLineWidth = 0.8 * kPx;
constexpr double kDotRadius = 2.2 * kPx;  // s ≈ 19 pt²: smaller than matplotlib's 36 for dense clouds
constexpr double kDotAlpha = 0.6;
constexpr const char* kFontFace = "DejaVu Sans";  // matplotlib's default font
constexpr std::size_t kMaxLegendLabel = 40;       // characters shown per class name

struct Rgb {
  double r, g, b;
};
// matplotlib's "tab10" cycle: #1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf
constexpr std::array<Rgb, 10> kTab10 = {{{0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0},
                                         {0xff / 255.0, 0x7f / 255.0, 0x0e / 255.0},
                                         {0x2c / 255.0, 0xa0 / 255.0, 0x2c / 255.0},
                                         {0xd6 / 255.0, 0x27 / 255.0, 0x28 / 255.0},
                                         {0x94 / 255.0, 0x67 / 255.0, 0xbd / 255.0},
                                         {0x8c / 255.0, 0x56 / 255.0, 0x4b / 255.0},
                                         {0xe3 / 255.0, 0x77 / 255.0, 0xc2 / 255.0},
                                         {0x7f / 255.0, 0x7f / 255.0, 0x7f / 255.0},
                                         {0xbc / 255.0, 0xbd / 255.0, 0x22 / 255.0},
                                         {0x17 / 255.0, 0xbe / 255.0, 0xcf / 255.0}}};

enum class Format { Png, Svg };

struct Box {
  double left, top, right, bottom;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
  bool contains(double x, double y) const { return x >= left && x <= right && y >= top && y <= bottom; }
};

struct CairoDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Context = std::unique_ptr<cairo_t, CairoDeleter>;
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;

Format format_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return Format::Png;
  if (ext == ".svg") return Format::Svg;
  throw InvalidArgument(detail::concat("write_scatter: ", path.string(), ": unsupported extension '", ext,
                                       "'; expected .png or .svg"));
}

/// Cuts a UTF-8 string to at most `max_chars` code points, marking the cut with an ellipsis.
std::string shorten(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++chars > max_chars) return s.substr(0, i) + "\u2026";
  }
  return s;
}

/// Text drawing with the toy font API; alignment fractions: 0 = left/top, 1 = right/bottom.
class Text {
 public:
  Text(cairo_t* cr, double size) : cr_(cr) {
    cairo_select_font_face(cr_, kFontFace, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_font_extents(cr_, &font_);
  }
  double width(const std::string& s) const {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }
  /// Height of a line box (ascent + descent).
  double height() const { return font_.ascent + font_.descent; }
  /// Draws `s` with its line box aligned at (x, y), optionally rotated a quarter turn counter-clockwise.
  void draw(const std::string& s, double x, double y, double halign, double valign, bool vertical = false) const {
    cairo_save(cr_);
    cairo_translate(cr_, x, y);
    if (vertical) cairo_rotate(cr_, -M_PI / 2);
    cairo_move_to(cr_, -halign * width(s), -valign * height() + font_.ascent);
    cairo_show_text(cr_, s.c_str());
    cairo_restore(cr_);
  }

 private:
  cairo_t* cr_;
  cairo_font_extents_t font_;
};

class ScatterChart {
 public:
  ScatterChart(const Matrix& points, const std::vector<std::string>& labels, const ScatterOptions& opts)
      : points_(points), opts_(opts) {
    encoder_.fit(labels);
    codes_ = encoder_.transform(labels, "labels");
    auto [x_lo, x_hi] = min_max(0);
    auto [y_lo, y_hi] = min_max(1);
    std::tie(x_view_lo_, x_view_hi_) = plot::padded_range(x_lo, x_hi);
    std::tie(y_view_lo_, y_view_hi_) = plot::padded_range(y_lo, y_hi);
  }

  void draw(cairo_t* cr) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    layout(cr);
    draw_points(cr);
    draw_axes(cr);
    draw_title(cr);
    draw_legend(cr);
  }

  /// What the chart shows, for the SVG <title>/<desc> (cairo writes text as glyph outlines).
  std::string description() const {
    std::string d = "Scatter chart of " + std::to_string(points_.rows()) + " points (x: " + opts_.x_label +
                    ", y: " + opts_.y_label + "). Classes:";
    for (std::size_t k = 0; k < encoder_.num_classes(); ++k) d += (k ? ", " : " ") + encoder_.classes()[k];
    return d + ".";
  }

 private:
  std::pair<double, double> min_max(std::size_t col) const {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t r = 0; r < points_.rows(); ++r) {
      lo = std::min(lo, static_cast<double>(points_(r, col)));
      hi = std::max(hi, static_cast<double>(points_(r, col)));
    }
    return {lo, hi};
  }

  double to_x(double v) const {
    return axes_.left + (v - x_view_lo_) / (x_view_hi_ - x_view_lo_) * axes_.width();
  }
  double to_y(double v) const {
    return axes_.bottom - (v - y_view_lo_) / (y_view_hi_ - y_view_lo_) * axes_.height();
  }

  void layout(cairo_t* cr) {
    const double w = opts_.width, h = opts_.height;
    Text tick_text(cr, kFont);
    // A first pass with matplotlib's fractions gives the axis lengths, which
    // set how many ticks fit (its "auto" bins: x one per 3 em, y one per 2 em, at most 9).
    axes_ = {0.125 * w, 0.12 * h, 0.9 * w, 0.89 * h};
    compute_ticks();
    double widest = 0.0;
    for (const auto& s : y_tick_labels_) widest = std::max(widest, tick_text.width(s));
    const double need_left = kTickLength + kTickPad + widest + kLabelPad + (opts_.y_label.empty() ? 0 : tick_text.height()) + 4;
    const double need_bottom = kTickLength + kTickPad + 2 * tick_text.height() + kLabelPad + 4;
    const double need_top = opts_.title.empty() ? 8 : Text(cr, kTitleFont).height() + kTitlePad + 6;
    axes_ = {std::round(std::max(0.125 * w, need_left)), std::round(std::max(0.12 * h, need_top)),
             std::round(0.9 * w), std::round(std::min(0.89 * h, h - need_bottom))};
    compute_ticks();
  }

  void compute_ticks() {
    const double em = kFont;
    const int x_bins = std::clamp(static_cast<int>(axes_.width() / (3 * em)), 1, 9);
    const int y_bins = std::clamp(static_cast<int>(axes_.height() / (2 * em)), 1, 9);
    x_ticks_ = plot::nice_ticks(x_view_lo_, x_view_hi_, x_bins);
    y_ticks_ = plot::nice_ticks(y_view_lo_, y_view_hi_, y_bins);
    x_tick_labels_ = plot::tick_labels(x_ticks_);
    y_tick_labels_ = plot::tick_labels(y_ticks_);
  }

  static Rgb colour(std::size_t k) { return kTab10[k % kTab10.size()]; }

  void draw_points(cairo_t* cr) const {
    cairo_save(cr);
    cairo_rectangle(cr, axes_.left, axes_.top, axes_.width(), axes_.height());
    cairo_clip(cr);
    // Class by class, like one plt.scatter call per label: later classes sit on top.
    for (std::size_t k = 0; k < encoder_.num_classes(); ++k) {
      const Rgb c = colour(k);
      cairo_set_source_rgba(cr, c.r, c.g, c.b, kDotAlpha);
      for (std::size_t r = 0; r < points_.rows(); ++r) {
        if (static_cast<std::size_t>(codes_[r]) != k) continue;
        const double x = to_x(points_(r, 0)), y = to_y(points_(r, 1));
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, kDotRadius, 0, 2 * M_PI);
        // Fill per dot so overlapping dots of one class darken, as separate markers do.
        cairo_fill(cr);
      }
    }
    cairo_restore(cr);
  }

  void draw_axes(cairo_t* cr) const {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, kLineWidth);
    // Spines on half pixels so that a one-pixel line stays crisp in the PNG.
    cairo_rectangle(cr, axes_.left + 0.5, axes_.top + 0.5, axes_.width() - 1, axes_.height() - 1);
    cairo_stroke(cr);

    Text text(cr, kFont);
    for (std::size_t i = 0; i < x_ticks_.size(); ++i) {
      const double x = std::round(to_x(x_ticks_[i])) + 0.5;
      cairo_move_to(cr, x, axes_.bottom);
      cairo_line_to(cr, x, axes_.bottom + kTickLength);
      cairo_stroke(cr);
      text.draw(x_tick_labels_[i], x, axes_.bottom + kTickLength + kTickPad, 0.5, 0.0);
    }
    double widest = 0.0;
    for (std::size_t i = 0; i < y_ticks_.size(); ++i) {
      const double y = std::round(to_y(y_ticks_[i])) + 0.5;
      cairo_move_to(cr, axes_.left, y);
      cairo_line_to(cr, axes_.left - kTickLength, y);
      cairo_stroke(cr);
      text.draw(y_tick_labels_[i], axes_.left - kTickLength - kTickPad, y, 1.0, 0.5);
      widest = std::max(widest, text.width(y_tick_labels_[i]));
    }
    const double mid_x = 0.5 * (axes_.left + axes_.right), mid_y = 0.5 * (axes_.top + axes_.bottom);
    if (!opts_.x_label.empty()) {
      text.draw(opts_.x_label, mid_x, axes_.bottom + kTickLength + kTickPad + text.height() + kLabelPad, 0.5, 0.0);
    }
    if (!opts_.y_label.empty()) {
      text.draw(opts_.y_label, axes_.left - kTickLength - kTickPad - widest - kLabelPad, mid_y, 0.5, 1.0, true);
    }
  }

  void draw_title(cairo_t* cr) const {
    if (opts_.title.empty()) return;
    // A title wider than the picture is set smaller rather than cut off.
    double size = kTitleFont;
    while (size > 6 && Text(cr, size).width(opts_.title) > 0.96 * opts_.width) size -= 0.5;
    Text text(cr, size);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text.draw(opts_.title, 0.5 * (axes_.left + axes_.right), axes_.top - kTitlePad, 0.5, 1.0);
  }

  void draw_legend(cairo_t* cr) const {
    Text text(cr, kFont);
    const double em = kFont;
    const double pad = 0.4 * em, spacing = 0.5 * em, handle = 2.0 * em, handle_pad = 0.8 * em;
    const double line = text.height();
    // As many rows as fit in the axes; the rest are summarised in a last row.
    std::vector<std::string> rows;
    const std::size_t classes = encoder_.num_classes();
    const auto fit_rows = static_cast<std::size_t>(std::max(1.0, (axes_.height() - 2 * pad) / (line + spacing)));
    for (std::size_t k = 0; k < classes; ++k) {
      if (rows.size() + 1 == fit_rows && classes > fit_rows) {
        rows.push_back(detail::concat("(", classes - k, " more)"));
        break;
      }
      rows.push_back(shorten(encoder_.classes()[k], kMaxLegendLabel));
    }
    double text_width = 0.0;
    for (const auto& s : rows) text_width = std::max(text_width, text.width(s));
    const double box_w = 2 * pad + handle + handle_pad + text_width;
    const double box_h = 2 * pad + rows.size() * line + (rows.size() - 1) * spacing;
    const Box frame = best_legend_place(box_w, box_h);

    cairo_new_path(cr);
    rounded_rectangle(cr, frame, 0.2 * em);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1.0 * kPx);
    cairo_stroke(cr);

    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double top = frame.top + pad + i * (line + spacing);
      const double mid = top + 0.5 * line;
      const bool summary = i + 1 == rows.size() && rows.size() < classes;
      if (!summary) {
        const Rgb c = colour(i);
        cairo_set_source_rgba(cr, c.r, c.g, c.b, kDotAlpha);
        cairo_new_sub_path(cr);
        cairo_arc(cr, frame.left + pad + 0.5 * handle, mid, 1.5 * kDotRadius, 0, 2 * M_PI);
        cairo_fill(cr);
      }
      cairo_set_source_rgb(cr, 0, 0, 0);
      text.draw(rows[i], frame.left + pad + handle + handle_pad, mid, 0.0, 0.5);
    }
  }

  /// matplotlib's loc="best": the first of its candidate places that covers the fewest points.
  Box best_legend_place(double w, double h) const {
    const double inset = 0.5 * kFont;  // borderaxespad
    const double l = axes_.left + inset, r = axes_.right - inset - w;
    const double t = axes_.top + inset, b = axes_.bottom - inset - h;
    const double cx = 0.5 * (axes_.left + axes_.right - w), cy = 0.5 * (axes_.top + axes_.bottom - h);
    // upper right, upper left, lower left, lower right, right, center left,
    // center right, lower center, upper center, center
    const std::array<std::pair<double, double>, 10> corners = {
        {{r, t}, {l, t}, {l, b}, {r, b}, {r, cy}, {l, cy}, {r, cy}, {cx, b}, {cx, t}, {cx, cy}}};
    Box best{};
    std::size_t best_count = std::numeric_limits<std::size_t>::max();
    for (const auto& [x, y] : corners) {
      const Box box{x, y, x + w, y + h};
      std::size_t count = 0;
      for (std::size_t i = 0; i < points_.rows() && count < best_count; ++i) {
        count += box.contains(to_x(points_(i, 0)), to_y(points_(i, 1)));
      }
      if (count < best_count) {
        best_count = count;
        best = box;
      }
      if (count == 0) break;
    }
    return best;
  }

  static void rounded_rectangle(cairo_t* cr, const Box& b, double radius) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, b.right - radius, b.top + radius, radius, -M_PI / 2, 0);
    cairo_arc(cr, b.right - radius, b.bottom - radius, radius, 0, M_PI / 2);
    cairo_arc(cr, b.left + radius, b.bottom - radius, radius, M_PI / 2, M_PI);
    cairo_arc(cr, b.left + radius, b.top + radius, radius, M_PI, 1.5 * M_PI);
    cairo_close_path(cr);
  }

  const Matrix& points_;
  const ScatterOptions& opts_;
  LabelEncoder encoder_;
  std::vector<std::int32_t> codes_;
  double x_view_lo_ = 0, x_view_hi_ = 1, y_view_lo_ = 0, y_view_hi_ = 1;
  Box axes_{};
  std::vector<double> x_ticks_, y_ticks_;
  std::vector<std::string> x_tick_labels_, y_tick_labels_;
};

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void check_status(cairo_status_t status, const std::filesystem::path& path) {
  EMB_CHECK_AS(Error, status == CAIRO_STATUS_SUCCESS, "write_scatter: ", path.string(),
               ": drawing failed: ", cairo_status_to_string(status));
}

std::string render_png(ScatterChart& chart, const ScatterOptions& opts, const std::filesystem::path& path) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, opts.width, opts.height));
  check_status(cairo_surface_status(surface.get()), path);
  Context cr(cairo_create(surface.get()));
  chart.draw(cr.get());
  check_status(cairo_status(cr.get()), path);
  std::string bytes;
  check_status(cairo_surface_write_to_png_stream(surface.get(), append_bytes, &bytes), path);
  return bytes;
}

std::string render_svg(ScatterChart& chart, const ScatterOptions& opts, const std::filesystem::path& path) {
  std::string bytes;
  {
    Surface surface(cairo_svg_surface_create_for_stream(append_bytes, &bytes, opts.width, opts.height));
    check_status(cairo_surface_status(surface.get()), path);
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    Context cr(cairo_create(surface.get()));
    chart.draw(cr.get());
    check_status(cairo_status(cr.get()), path);
    cairo_surface_finish(surface.get());
    check_status(cairo_surface_status(surface.get()), path);
  }
  // cairo draws text as glyph outlines; a <title> and <desc> keep the chart's
  // words searchable and readable by screen readers.
  const std::size_t svg = bytes.find("<svg");
  const std::size_t open_end = svg == std::string::npos ? svg : bytes.find('>', svg);
  EMB_CHECK_AS(Error, open_end != std::string::npos, "write_scatter: ", path.string(), ": cairo wrote no <svg> element");
  bytes.insert(open_end + 1, "\n<title>" + io::escape_markup(opts.title) + "</title>\n<desc>" +
                                 io::escape_markup(chart.description()) + "</desc>");
  return bytes;
}

}  // namespace

void write_scatter(const std::filesystem::path& path, const Matrix& points, const std::vector<std::string>& labels,
                   const ScatterOptions& opts) {
  const Format format = format_of(path);
  EMB_CHECK(points.cols() == 2, "write_scatter: points has shape [", points.rows(), ", ", points.cols(),
            "]; expected [n, 2]");
  check_finite_nonempty(points, "write_scatter: points");
  EMB_CHECK(labels.size() == points.rows(), "write_scatter: points has ", points.rows(), " rows but labels has ",
            labels.size(), " entries");
  EMB_CHECK(opts.width >= 100 && opts.width <= 10000 && opts.height >= 100 && opts.height <= 10000,
            "write_scatter: size ", opts.width, "x", opts.height, " is outside 100..10000 pixels");
  ScatterChart chart(points, labels, opts);
  const std::string bytes = format == Format::Png ? render_png(chart, opts, path) : render_svg(chart, opts, path);
  io::write_file_atomic(path, bytes);
}

}  // namespace emb
