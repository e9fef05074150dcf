enum _PlaceholderJobLogServer {}
