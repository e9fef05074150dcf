enum _PlaceholderJobLogStore {}
