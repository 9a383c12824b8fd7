"""Assessment pages, thin: parse, call, render. ``periods`` (the list, the ranking table, 积分排名),
``steps`` (开始评分 … 复核后公布 and 下一期, confirmed on their pages), ``adjustments`` (加减分),
``results`` (a score's explanation and printable sheet, 申诉), ``review`` (the reviewer's side of 复核),
``rating`` (the rater's own assignments, phone-friendly) and ``setup`` (setting a round up); the Excel
exports go through ``exports``."""
