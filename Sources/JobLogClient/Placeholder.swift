enum _PlaceholderJobLogClient {}
